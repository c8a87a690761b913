using System.Buffers;
using System.Collections.Concurrent;

namespace Gateway.Hosting;

/// <summary>
/// The memory Kestrel's connection pipes are made of, in blocks of <c>Server:PipeBlockBytes</c> instead
/// of Kestrel's 4 KiB. A hit's body is copied into the response pipe and handed to the socket one block per iovec;
/// with 4 KiB blocks a 168 KB gzip hit took 42 blocks, each rented, filled, turned into an ArraySegment for
/// sendmsg and returned, and that bookkeeping (PinnedBlockMemoryPool.Rent, Pipe.GetSpan, TryGetArray,
/// AdvanceReader) cost as much CPU as the copy itself in a perf profile of 1 MiB gzip hits (bench/README.md).
/// </summary>
/// <remarks>
/// Blocks are pinned arrays, as Kestrel's are (the socket layer hands them to the kernel). Returned blocks are kept
/// for reuse up to <see cref="MaxRetainedBytes"/>, beyond which they are left to the GC, so a burst of large responses
/// does not hold its peak for ever.
/// </remarks>
internal sealed class PipeBlockPool(int blockBytes) : MemoryPool<byte>
{
    private const long MaxRetainedBytes = 32L * 1024 * 1024;

    private readonly ConcurrentQueue<Block> _free = new();
    private readonly int _maxRetained = (int)Math.Max(1, MaxRetainedBytes / blockBytes);
    private int _retained;
    private bool _disposed;

    public override int MaxBufferSize => blockBytes;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, blockBytes);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _retained);
            block.Lease();
            return block;
        }

        return new Block(this, GC.AllocateUninitializedArray<byte>(blockBytes, pinned: true));
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _free.Clear();
    }

    private void Return(Block block)
    {
        if (_disposed || Interlocked.Increment(ref _retained) > _maxRetained)
        {
            Interlocked.Decrement(ref _retained);
            return;
        }

        _free.Enqueue(block);
    }

    private sealed class Block(PipeBlockPool pool, byte[] array) : IMemoryOwner<byte>
    {
        // 1 while rented: a second Dispose must not put a block back that someone else may already hold.
        private int _leased = 1;

        public Memory<byte> Memory { get; } = array;

        public void Lease() => Volatile.Write(ref _leased, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _leased, 0) == 1)
            {
                pool.Return(this);
            }
        }
    }
}
