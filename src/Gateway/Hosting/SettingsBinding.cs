using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// Binds a configuration section one key at a time, strictly: a key the options class does not have
/// (<c>Upstream:Timout</c>), a value that does not convert, or one a setter refuses becomes a start-up failure naming
/// that key, and every bad key is reported at once. Plain binding stops at the first bad value with an exception
/// (one failure at a time, with a stack trace) and ignores misspelt keys, so the default silently applies.
/// </summary>
internal static partial class SettingsBinding
{
    // The failures found while binding an options instance, until its validator reports them.
    private static readonly ConditionalWeakTable<object, List<string>> s_failures = [];

    public static OptionsBuilder<T> BindSettings<T>(this OptionsBuilder<T> builder, string section) where T : class =>
        builder.BindSettings(section, static options => options);

    /// <summary>
    /// Binds only the keys <paramref name="binds"/> accepts (by their first segment), for a section two options
    /// classes share: one binds the keys it declares (<see cref="Declares{T}"/>), the other every key but those, so
    /// a misspelt key is still reported, once.
    /// </summary>
    public static OptionsBuilder<T> BindSettings<T>(this OptionsBuilder<T> builder, string section, Predicate<string> binds) where T : class =>
        builder.BindSettings(section, static options => options, binds);

    /// <summary>Whether <typeparamref name="T"/> has a setting named <paramref name="key"/> (as configuration matches it, ignoring case).</summary>
    public static bool Declares<T>(string key) =>
        typeof(T).GetProperty(key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { CanWrite: true };

    /// <param name="target">What the section's keys bind to: the options, or one of their members (a dictionary).</param>
    public static OptionsBuilder<T> BindSettings<T>(
        this OptionsBuilder<T> builder, string section, Func<T, object> target, Predicate<string>? binds = null) where T : class
    {
        builder.Configure<IConfiguration>((options, configuration) =>
        {
            var failures = new List<string>();
            Bind(configuration, section, target(options), failures, binds);
            if (failures.Count > 0)
            {
                s_failures.AddOrUpdate(options, failures);
            }
        });
        builder.Services.AddSingleton<IValidateOptions<T>, BindingFailures<T>>();
        return builder;
    }

    /// <summary>Binds every key under <paramref name="section"/> into <paramref name="target"/>; adds one line per bad key.</summary>
    public static void Bind(IConfiguration configuration, string section, object target, List<string>? failures, Predicate<string>? binds = null)
    {
        foreach (var (key, value) in configuration.GetSection(section).AsEnumerable(makePathsRelative: true))
        {
            if (value is null || binds is not null && !binds(key.Split(':')[0]))
            {
                continue;
            }

            var single = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();
            try
            {
                single.Bind(target, static binder => binder.ErrorOnUnknownConfiguration = true);
            }
            catch (Exception exception) when (exception is InvalidOperationException or ArgumentException or TargetInvocationException)
            {
                failures?.Add(Describe($"{section}:{key}", value, exception));
            }
        }
    }

    // Failures reach logs and start-up errors, and any setting may hold a key (pasted into the wrong file, say), so a
    // failure names the setting and the rule it broke, never the value.
    private static string Describe(string key, string value, Exception exception)
    {
        var innermost = exception;
        while (innermost is InvalidOperationException { InnerException: InvalidOperationException next })
        {
            innermost = next;
        }

        if (innermost.Message.Contains("were not found", StringComparison.Ordinal))
        {
            return $"{key} is not a setting this gateway knows (misspelt?); the README's configuration table lists them.";
        }

        if (ConversionFailure().Match(innermost.Message) is { Success: true } conversion)
        {
            return $"{key} must be a valid {TypeName(conversion.Groups["type"].Value)}; the value given is not (it is not repeated here).";
        }

        var reason = exception is TargetInvocationException { InnerException: { } inner } ? inner : innermost;
        var message = reason.Message.Split('\n')[0].Trim();
        return $"{key}: {(value.Length > 0 ? message.Replace(value, "(the value)", StringComparison.Ordinal) : message)}";
    }

    // System.Nullable`1[[System.DateTimeOffset, System.Private.CoreLib, …]] reads as DateTimeOffset.
    private static string TypeName(string type)
    {
        var inner = type.IndexOf("[[", StringComparison.Ordinal) is >= 0 and var start ? type[(start + 2)..].Split(',')[0] : type;
        return inner.StartsWith("System.", StringComparison.Ordinal) ? inner["System.".Length..] : inner;
    }

    [GeneratedRegex("^Failed to convert configuration value '.*' at '.*' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();

    private sealed class BindingFailures<T> : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            s_failures.TryGetValue(options, out var failures) ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Skip;
    }
}
