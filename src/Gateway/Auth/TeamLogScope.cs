using System.Collections;

namespace Gateway.Auth;

/// <summary>
/// The logging scope of a team's requests: the team, never its key. Structured for the JSON console format (a
/// <c>Team</c> property) and readable in the plain one, which prints a scope with <see cref="ToString"/>
/// (<c>Team:team-a</c>). Built once per team.
/// </summary>
internal sealed class TeamLogScope(string team) : IReadOnlyList<KeyValuePair<string, object>>
{
    private readonly KeyValuePair<string, object> _team = new("Team", team);
    private readonly string _text = "Team:" + team;

    public int Count => 1;

    public KeyValuePair<string, object> this[int index] => index == 0 ? _team : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
    {
        yield return _team;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _text;
}
