using Gateway.Hosting;

namespace Gateway.Credits;

/// <summary>Credits per team: the ledger that books each finished job once, its repair loop, budgets and the month's export.</summary>
internal static class CreditsExtensions
{
    public static IServiceCollection AddCredits(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<CreditOptions, CreditOptionsValidator>().BindSettings(CreditOptions.SectionName);
        services.AddSingleton<CreditLedger>();
        services.AddHostedService<CreditFlusher>();
        return services;
    }
}
