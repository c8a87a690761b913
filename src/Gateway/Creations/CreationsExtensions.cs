using Gateway.Hosting;

namespace Gateway.Creations;

/// <summary>Job creation that is safe to retry: a creating call, once sent, is finished, and its repeats get its answer.</summary>
internal static class CreationsExtensions
{
    public static IServiceCollection AddCreations(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<CreationOptions, CreationOptionsValidator>().BindSettings(CreationOptions.SectionName);
        services.AddSingleton<CreationStore>();
        services.AddSingleton<CreationGate>();
        services.AddSingleton<CompletedJobs>();
        services.AddSingleton<JobReuse>();
        return services;
    }
}
