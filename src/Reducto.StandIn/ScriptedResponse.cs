namespace Reducto.StandIn;

/// <summary>A response a test scripts for one job id.</summary>
public sealed record ScriptedResponse(int StatusCode, byte[] Body, string ContentType = "application/json")
{
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}
