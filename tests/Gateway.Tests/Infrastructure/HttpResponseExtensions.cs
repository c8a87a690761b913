namespace Gateway.Tests.Infrastructure;

public static class HttpResponseExtensions
{
    /// <summary>A response or content header's value, multiple values joined; null when absent.</summary>
    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;
}
