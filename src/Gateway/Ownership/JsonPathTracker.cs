using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.Ownership;

/// <summary>
/// Where the reader is, kept as offsets into the body so a path string is only built for a value that is reported:
/// most bodies refer to one or two things among hundreds of values.
/// </summary>
internal sealed class JsonPathTracker
{
    private readonly List<Frame> _frames = [];

    /// <summary>The value being read is that of a property named <c>file_id</c>.</summary>
    public bool InFileIdProperty => _frames.Count > 0 && _frames[^1] is { IsArray: false, IsFileId: true };

    public void Enter(bool isArray) => _frames.Add(new Frame(isArray, 0, -1, 0, false, false));

    public void Leave() => _frames.RemoveAt(_frames.Count - 1);

    public void Property(ref Utf8JsonReader reader) =>
        // TokenStartIndex is the opening quote; the name's bytes follow it.
        _frames[^1] = _frames[^1] with
        {
            NameStart = (int)reader.TokenStartIndex + 1,
            NameLength = reader.ValueSpan.Length,
            NameEscaped = reader.ValueIsEscaped,
            IsFileId = reader.ValueTextEquals("file_id"u8),
        };

    /// <summary>A value ended: in an array, the next one is the next element.</summary>
    public void ValueDone()
    {
        if (_frames.Count > 0 && _frames[^1].IsArray)
        {
            _frames[^1] = _frames[^1] with { Index = _frames[^1].Index + 1 };
        }
    }

    /// <summary>The path in the usual dotted form (<c>steps[0].document</c>); <c>$</c> for the whole document.</summary>
    public string Describe(ReadOnlySpan<byte> body)
    {
        var path = new StringBuilder();
        foreach (var frame in _frames)
        {
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else if (frame.NameStart >= 0)
            {
                path.Append(path.Length > 0 ? "." : "").Append(Name(body, frame));
            }
        }

        return path.Length > 0 ? path.ToString() : "$";
    }

    private static string Name(ReadOnlySpan<byte> body, Frame frame)
    {
        if (!frame.NameEscaped)
        {
            return Encoding.UTF8.GetString(body.Slice(frame.NameStart, frame.NameLength));
        }

        // Read the quoted name again on its own to have the reader unescape it.
        var quoted = new Utf8JsonReader(body.Slice(frame.NameStart - 1, frame.NameLength + 2));
        quoted.Read();
        return quoted.GetString()!;
    }

    private readonly record struct Frame(bool IsArray, int Index, int NameStart, int NameLength, bool NameEscaped, bool IsFileId);
}
