namespace Gateway.Tests.Infrastructure;

/// <summary>Bounded polling for conditions that settle asynchronously; fails loudly instead of hanging.</summary>
public static class Eventually
{
    public static async Task Until(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Condition not met in time" + (because is null ? "." : ": " + because));
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public static Task Until(Func<Task<bool>> condition, TimeSpan? timeout = null, string? because = null) =>
        Until(condition, timeout, () => because);

    /// <param name="explain">Called only on failure, so it can describe the state the condition was stuck in.</param>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan? timeout, Func<string?> explain)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                var because = explain();
                Assert.Fail("Condition not met in time" + (because is null ? "." : ": " + because));
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
