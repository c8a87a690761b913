using Gateway.Ownership;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Infrastructure;

/// <summary>Records jobs in a gateway's ownership ledger as if each team had created its own through the gateway.</summary>
internal static class JobOwners
{
    public static async Task OwnJobsAsync<T>(this WebApplicationFactory<T> gateway, IEnumerable<(string Job, string Team)> jobs, DateTimeOffset createdAt)
        where T : class
    {
        var ledger = gateway.Services.GetRequiredService<OwnershipLedger>();
        foreach (var (job, team) in jobs)
        {
            await ledger.RecordAsync(OwnedKind.Job, job, new Owner(team, "key", "parse_async", createdAt));
        }
    }
}
