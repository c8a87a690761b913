using System.Globalization;
using System.Text;
using Gateway.Auth;
using Gateway.Hosting;
using Gateway.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Credits;

/// <summary>Credits per team: the ledger that books each finished job once, its repair loop, budgets and the month's export.</summary>
internal static class CreditsExtensions
{
    public static IServiceCollection AddCredits(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<CreditOptions, CreditOptionsValidator>().BindSettings(CreditOptions.SectionName);
        services.AddSingleton<CreditLedger>();
        services.AddSingleton<CreditBudgets>();
        services.AddSingleton<SynchronousBooking>();
        services.AddHostedService<CreditFlusher>();
        return services;
    }

    public static IEndpointRouteBuilder MapCredits(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/admin/usage/export", ExportAsync)
            .RequireAuthorization(AuthExtensions.AdminPolicy)
            .WithName("ExportCredits")
            .WithTags("Admin")
            .WithSummary("A month's credits per team, key id and UTC day, as CSV (admin key)")
            .WithDescription("month=YYYY-MM (UTC). Columns: team,key_id,day,jobs,pages,credits,credits_saved; one row per team, key id and day with " +
                "bookings; (unowned) holds jobs nobody created through the gateway. credits_saved is what creations answered by reuse of an earlier " +
                "Completed job did not spend again, booked on the day of the reuse. The deployment's figures when Redis answers, else this replica's.")
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return routes;
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ExportAsync(string? month, HttpContext context, CreditLedger ledger)
    {
        if (!DateOnly.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first))
        {
            return GatewayProblems.InvalidMonth(context);
        }

        var csv = new StringBuilder("team,key_id,day,jobs,pages,credits,credits_saved\r\n");
        foreach (var row in await ledger.ReadMonthAsync(first))
        {
            // Team names and key ids are letters, digits and -_. (and "(unowned)"): nothing a spreadsheet needs quoted.
            csv.Append(CultureInfo.InvariantCulture, $"{row.Team},{row.KeyId},{row.Day:yyyy-MM-dd},{row.Figures.Jobs},{row.Figures.Pages},{row.Figures.Credits:0.###},{row.Figures.CreditsSaved:0.###}\r\n");
        }

        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"credits-{month}.csv\"";
        return TypedResults.Content(csv.ToString(), "text/csv; charset=utf-8");
    }
}
