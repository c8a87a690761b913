using Gateway.Hosting;

namespace Gateway.Tests.Hosting;

/// <summary>The pool Kestrel's pipes rent from: a block is never handed to two owners at once.</summary>
public sealed class PipeBlockPoolTests
{
    [Fact]
    public void AReturnedBlock_IsReused_AndABlockDisposedTwice_IsHandedOutOnce()
    {
        using var pool = new PipeBlockPool(64 * 1024);
        var first = pool.Rent();
        var array = first.Memory;
        first.Dispose();
        first.Dispose();

        var second = pool.Rent();
        var third = pool.Rent();

        Assert.True(second.Memory.Span.Overlaps(array.Span));
        Assert.False(third.Memory.Span.Overlaps(array.Span));
        Assert.Equal(64 * 1024, third.Memory.Length);
    }

    [Fact]
    public void ARequestLargerThanABlock_IsRefused()
    {
        using var pool = new PipeBlockPool(4096);

        Assert.Equal(4096, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(4097));
    }
}
