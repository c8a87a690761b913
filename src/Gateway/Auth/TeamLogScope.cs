using System.Collections;

namespace Gateway.Auth;

/// <summary>
/// The logging scope of a team's requests: the team and the key id, never the key. Structured for the JSON console
/// format (<c>Team</c> and <c>KeyId</c> properties) and readable in the plain one, which prints a scope with
/// <see cref="ToString"/> (<c>Team:team-a KeyId:2026-12</c>). Built once per key.
/// </summary>
internal sealed class TeamLogScope(string team, string keyId) : IReadOnlyList<KeyValuePair<string, object>>
{
    private readonly KeyValuePair<string, object>[] _properties = [new("Team", team), new("KeyId", keyId)];
    private readonly string _text = $"Team:{team} KeyId:{keyId}";

    public int Count => _properties.Length;

    public KeyValuePair<string, object> this[int index] => _properties[index];

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object>>)_properties).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _text;
}
