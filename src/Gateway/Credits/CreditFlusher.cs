using Microsoft.Extensions.Options;

namespace Gateway.Credits;

/// <summary>Runs the ledger's repair round every <see cref="CreditOptions.FlushInterval"/>, and once more on the way out.</summary>
internal sealed class CreditFlusher(CreditLedger ledger, CreditBudgets budgets, IOptions<CreditOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval, time);
        try
        {
            do
            {
                await ledger.FlushAsync();
                await budgets.RefreshAsync();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }

        await ledger.FlushAsync();
    }
}
