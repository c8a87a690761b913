namespace Gateway.Problems;

internal static class ProblemsExtensions
{
    /// <summary>RFC 9457 problem details for every error the gateway makes itself, whatever the caller accepts.</summary>
    public static IServiceCollection AddGatewayProblems(this IServiceCollection services)
    {
        services.AddProblemDetails();
        // After the platform's writer (AddProblemDetails registers it), so it only answers what that one declines.
        services.AddSingleton<IProblemDetailsWriter, AnyAcceptProblemWriter>();
        services.AddSingleton<UpstreamRefusals>();
        return services;
    }
}
