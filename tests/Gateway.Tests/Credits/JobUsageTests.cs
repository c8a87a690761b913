using System.Text;
using Gateway.Credits;

namespace Gateway.Tests.Credits;

public sealed class JobUsageTests
{
    [Fact]
    public void ACompletedJobBody_NamesItsPagesAndCredits_UnderResultUsage()
    {
        var usage = JobUsage.Read(Encoding.UTF8.GetBytes(
            """{"status":"Completed","num_pages":9,"result":{"usage":{"num_pages":3,"credits":4.5,"credit_breakdown":{"page":4.5}},"result":{"chunks":[{"usage":{"credits":99}}]}}}"""));

        Assert.Equal(new JobUsage("Completed", 3, 4.5m, HasUsage: true), usage);
    }

    [Fact]
    public void NullCredits_AreNull_AndTheTopLevelPagesStandInForMissingUsagePages()
    {
        var usage = JobUsage.Read(Encoding.UTF8.GetBytes("""{"status":"Completed","num_pages":7,"result":{"usage":{"credits":null}}}"""));

        Assert.Equal(new JobUsage("Completed", 7, null, HasUsage: true), usage);
    }

    [Fact]
    public void ASynchronousAnswer_CarriesItsUsageAtTheTop()
    {
        var usage = JobUsage.Read(Encoding.UTF8.GetBytes(
            """{"response_type":"pipeline","usage":{"num_pages":2,"credits":6.0},"result":{"parse":{"usage":{"num_pages":5,"credits":5.0}}}}"""));

        Assert.Equal(new JobUsage(null, 2, 6.0m, HasUsage: true), usage);
    }

    [Fact]
    public void AFailedJob_HasNoUsage()
    {
        var usage = JobUsage.Read(Encoding.UTF8.GetBytes(
            """{"status":"Failed","reason":"corrupt","error":{"code":400,"usage":{"credits":3}},"result":null}"""));

        Assert.Equal(new JobUsage("Failed", null, null, HasUsage: false), usage);
        Assert.True(usage.Failed);
    }
}
