using Microsoft.Extensions.Options;

namespace Gateway.Ownership;

/// <summary>Runs the ledger's repair round every <see cref="OwnershipOptions.SyncInterval"/>.</summary>
internal sealed class OwnershipSync(OwnershipLedger ledger, IOptions<OwnershipOptions> options, TimeProvider time, ILogger<OwnershipSync> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ledger.RecordsRestored += logger.RecordsRestored;
        using var timer = new PeriodicTimer(options.Value.SyncInterval, time);
        do
        {
            await ledger.SyncAsync();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
