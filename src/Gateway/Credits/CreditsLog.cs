namespace Gateway.Credits;

internal static partial class CreditsLog
{
    public const int BookingsRestoredId = 9101;
    public const int BudgetWarningId = 9102;
    public const int BudgetExceededId = 9103;
    public const int SynchronousReadFailedId = 9104;

    [LoggerMessage(BookingsRestoredId, LogLevel.Warning, "Redis no longer held this replica's credit bookings (restarted without persistence?); sent {Bookings} again", EventName = "CreditBookingsRestored")]
    public static partial void BookingsRestored(this ILogger logger, int bookings);

    [LoggerMessage(BudgetWarningId, LogLevel.Warning, "Team {Team} has used {Used} of its {Budget} credits for {Month} ({Percent}%, warning at {WarnPercent}%)", EventName = "CreditBudgetWarning")]
    public static partial void BudgetWarning(this ILogger logger, string team, decimal used, decimal budget, string month, int percent, int warnPercent);

    [LoggerMessage(BudgetExceededId, LogLevel.Information, "Refused a job creation by team {Team}: {Used} of its {Budget} credits for the month used", EventName = "CreditBudgetExceeded")]
    public static partial void BudgetExceeded(this ILogger logger, string team, decimal used, decimal budget);

    [LoggerMessage(SynchronousReadFailedId, LogLevel.Warning, "Reading synchronous job {JobId} to book its credits failed; it is booked when it is next read", EventName = "SynchronousReadFailed")]
    public static partial void SynchronousReadFailed(this ILogger logger, string jobId, Exception exception);
}
