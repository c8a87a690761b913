using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// Checks every setting before the server starts and, when some are wrong, says which and why: one line per failing
/// setting on standard error, exit code 1, no stack trace. Run by Program before the host starts (the host would
/// log the same exception with its stack trace).
/// </summary>
internal static partial class StartupCheck
{
    public const int ExitCode = 1;

    /// <summary>
    /// Whether the gateway is the process (printing and exiting is then right) rather than hosted by another program,
    /// such as the test host, which gets the exception itself.
    /// </summary>
    public static bool IsOwnProcess { get; } = System.Reflection.Assembly.GetEntryAssembly() == typeof(StartupCheck).Assembly;

    /// <summary>
    /// Validates what ValidateOnStart would validate when the host starts, every failure at once; throws what
    /// <see cref="Describe"/> explains.
    /// </summary>
    public static void Validate(IServiceProvider services)
    {
        services.GetRequiredService<IStartupValidator>().Validate();
    }

    /// <summary>
    /// Logging settings are read while the host is built, before any validator can run, and the platform's message
    /// for a bad level does not say which one ("Configuration value 'Verbose' is not supported").
    /// </summary>
    public static IReadOnlyList<string> CheckLogging(IConfiguration configuration)
    {
        var failures = new List<string>();
        foreach (var (key, value) in configuration.GetSection("Logging").AsEnumerable())
        {
            var isLevel = key.Split(':') is { Length: >= 3 } parts && parts[^2] == "LogLevel";
            if (isLevel && value is not null && !Enum.TryParse<LogLevel>(value, ignoreCase: true, out _))
            {
                failures.Add($"{key} is '{value}'; a log level is one of {string.Join(", ", Enum.GetNames<LogLevel>())}.");
            }
        }

        if (configuration["Logging:Console:FormatterName"] is { Length: > 0 } formatter && !ConsoleFormatters.Contains(formatter, StringComparer.OrdinalIgnoreCase))
        {
            failures.Add($"Logging:Console:FormatterName is '{formatter}'; the console formats are {string.Join(", ", ConsoleFormatters)}.");
        }

        return failures;
    }

    private static readonly string[] ConsoleFormatters = ["simple", "json", "systemd"];

    public static int Report(IReadOnlyList<string> failures, TextWriter output)
    {
        output.WriteLine($"Gateway not started: {failures.Count} setting{(failures.Count == 1 ? " is" : "s are")} invalid.");
        foreach (var failure in failures)
        {
            output.WriteLine("  " + failure);
        }

        output.WriteLine("Settings come from appsettings.json and environment variables (Section__Key); the README lists them all.");
        return ExitCode;
    }

    /// <summary>
    /// One line per failing setting for an exception that settings caused (validation, or a value that does not
    /// convert), named as configuration names it (<c>Jobs:MaxWait</c>); null for anything else, which is a bug and
    /// keeps its stack trace.
    /// </summary>
    public static IReadOnlyList<string>? Describe(Exception exception)
    {
        var failures = new List<string>();
        return Collect(exception, failures, vouched: false) && failures.Count > 0 ? failures.Distinct().ToArray() : null;
    }

    /// <param name="vouched">
    /// Inside an exception thrown by a settings reader: YARP gathers its route errors as exceptions it never throws,
    /// which therefore carry no source of their own.
    /// </param>
    private static bool Collect(Exception exception, List<string> failures, bool vouched)
    {
        switch (exception)
        {
            case OptionsValidationException validation:
                failures.AddRange(validation.Failures.Select(failure => Named(failure, validation.OptionsType)));
                return true;
            case AggregateException aggregate:
                return aggregate.InnerExceptions.All(inner => Collect(inner, failures, vouched));
            case InvalidOperationException { InnerException: InvalidOperationException or AggregateException } wrapper when vouched || FromSettings(wrapper):
                // The binder's "binding has failed" and YARP's "Unable to load or apply the proxy configuration"
                // wrap the exceptions that say what is wrong.
                return Collect(wrapper.InnerException!, failures, vouched: true);
            case InvalidOperationException or FormatException or ArgumentException when vouched || FromSettings(exception):
                // The configuration binder's own messages name the key ("... at 'Upstream:Timeout' to type ...").
                failures.Add(FirstLine(exception.Message));
                return true;
            default:
                return false;
        }
    }

    // Thrown by the code that reads settings: the binder, the logging and options configuration, YARP's route
    // validation. The same exception types from anywhere else (a service the container cannot build) are bugs, and
    // keep their stack trace rather than being reported as a bad setting.
    private static readonly string[] SettingsReaders =
        ["Microsoft.Extensions.Configuration", "Microsoft.Extensions.Logging", "Microsoft.Extensions.Options", "Yarp.ReverseProxy"];

    private static bool FromSettings(Exception exception) =>
        exception.Source is { } source && SettingsReaders.Any(reader => source.StartsWith(reader, StringComparison.Ordinal));

    // Data-annotation messages name the class ("Timeout: The field UpstreamOptions.Timeout must be between ...");
    // an operator configures Upstream:Timeout.
    private static string Named(string failure, Type options)
    {
        if (options.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() is not string section)
        {
            return failure;
        }

        var match = MemberPrefix().Match(failure);
        var message = match.Success ? match.Groups["rest"].Value : failure;
        var named = message
            .Replace($"The field {options.Name}.", section + ":", StringComparison.Ordinal)
            .Replace(options.Name + ".", section + ":", StringComparison.Ordinal);
        return named == message && match.Success ? $"{section}:{match.Groups["member"].Value}: {message}" : named;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    [GeneratedRegex(@"^(?<member>[A-Za-z0-9_.\[\]]+): (?<rest>.*)$", RegexOptions.Singleline)]
    private static partial Regex MemberPrefix();
}
