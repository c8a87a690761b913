using Gateway.Auth;
using Gateway.Teams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Auth;

/// <summary>
/// A key pasted into the wrong file of the key directory (or the wrong line of appsettings.json) makes a setting fail
/// to convert; the refused reload's log names that setting and its rule and never repeats the value.
/// </summary>
public sealed class ReloadFailureLogTests
{
    private const string Secret = "sk-live-pasted-into-the-wrong-file-9f3c";
    private const string GoodKey = "reload-log-team-key-000001";

    [Theory]
    [InlineData("Teams:team-r:Keys:k1:NotAfter")]
    [InlineData("Teams:team-r:Keys:k1:Disabled")]
    [InlineData("Teams:team-r:RequestsPerSecond")]
    [InlineData("Teams:team-r:UpstreamCallsPerDay")]
    [InlineData("Auth:AllowAnonymous")]
    [InlineData("Auth:ExpiryWarning")]
    public void ASettingThatDoesNotConvert_IsNamedInTheLog_AndItsValueIsNot(string setting)
    {
        var source = new Dictionary<string, string?> { ["Teams:team-r:Keys:k1:Key"] = GoodKey };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(source).Build();
        var logs = new FakeLogCollector();
        using var keys = new GatewayKeys(
            Microsoft.Extensions.Options.Options.Create(new GatewayKeyOptions()),
            Microsoft.Extensions.Options.Options.Create(new TeamOptions
            {
                Teams = new(StringComparer.Ordinal) { ["team-r"] = new() { Keys = new(StringComparer.Ordinal) { ["k1"] = new() { Key = GoodKey } } } },
            }),
            configuration,
            new FakeLogger<GatewayKeys>(logs));

        configuration[setting] = Secret;
        configuration.Reload();

        var failure = Assert.Single(logs.GetSnapshot(), static record => record.Id.Id == AuthLog.KeysReloadFailedId);
        Assert.Contains(setting, failure.Message, StringComparison.Ordinal);
        Assert.All(logs.GetSnapshot(), record => Assert.DoesNotContain(Secret, record.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(Secret, keys.ReloadFailure, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine(failure.Message);
    }
}
