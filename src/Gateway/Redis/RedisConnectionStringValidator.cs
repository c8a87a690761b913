using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// Parses <c>ConnectionStrings:Redis</c> at start-up. It is otherwise first parsed when the store is built, where a
/// typo became an exception with a stack trace instead of a sentence naming the setting.
/// </summary>
internal sealed class RedisConnectionStringValidator(IConfiguration configuration) : IValidateOptions<RedisOptions>
{
    public const string Setting = "ConnectionStrings:" + RedisExtensions.ConnectionName;

    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        var value = configuration.GetConnectionString(RedisExtensions.ConnectionName);
        if (string.IsNullOrWhiteSpace(value))
        {
            return ValidateOptionsResult.Success;
        }

        try
        {
            // The client's own messages name the keyword at fault, never the password's value.
            return ConfigurationOptions.Parse(value).EndPoints.Count > 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{Setting} names no host (expected host:port, optionally followed by ,option=value).");
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or RedisConnectionException)
        {
            return ValidateOptionsResult.Fail($"{Setting} is not a valid StackExchange.Redis connection string: {exception.Message}");
        }
    }
}
