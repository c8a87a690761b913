using System.Text;

namespace Gateway.Ownership;

/// <summary>
/// Finds the string value of one top-level property (<c>job_id</c>, <c>file_id</c>) in a JSON object as it streams
/// past in chunks of any size, without buffering it: a byte state machine that tracks strings, escapes and nesting,
/// so a same-named property inside <c>result</c> is never taken and one that comes last, after megabytes, is found.
/// Memory is the captured value and nothing else; a cut anywhere (inside a key, an escape, between <c>:</c> and the
/// value) resumes where it stopped. Not a validator: it reads well-formed JSON correctly and gives up on the first
/// thing that cannot be the top-level object it expects.
/// </summary>
internal sealed partial class TopLevelIdScanner
{
    /// <summary>A longer value is not an id; the scan gives up rather than keep growing.</summary>
    public const int MaxValueBytes = 256;

    private readonly byte[] _name;
    private readonly byte[] _value = new byte[MaxValueBytes];
    private State _state = State.BeforeRoot;
    private int _valueLength;
    private int _keyMatched;      // bytes of the name matched so far in the current key; -1 once it cannot match
    private bool _escape;         // the previous byte of the current string was a backslash
    private int _hexLeft;         // hex digits of a \uXXXX escape still to come
    private int _hex;
    private int _nesting;         // depth of containers inside the top-level value being skipped
    private bool _inSkippedString;

    public TopLevelIdScanner(ReadOnlySpan<byte> propertyName) => _name = propertyName.ToArray();

    /// <summary>The value, once found; it never changes after.</summary>
    public string? Found { get; private set; }

    /// <summary>Found, or given up (the property is absent, not a string, too long, or the body is not an object).</summary>
    public bool Finished => _state == State.Finished;

    public void Feed(ReadOnlySpan<byte> chunk)
    {
        var i = 0;
        while (i < chunk.Length && _state != State.Finished)
        {
            i = _state switch
            {
                State.BeforeRoot => BeforeRoot(chunk, i),
                State.ExpectKey => ExpectKey(chunk, i),
                State.InKey => InKey(chunk, i),
                State.AfterKey => AfterKey(chunk, i),
                State.ExpectValue => ExpectValue(chunk, i),
                State.Capture => Capture(chunk, i),
                _ => Skip(chunk, i),
            };
        }
    }

    private enum State : byte
    {
        BeforeRoot,
        ExpectKey,
        InKey,
        AfterKey,
        ExpectValue,
        Capture,
        SkipValue,
        Finished,
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private int GiveUp(ReadOnlySpan<byte> chunk)
    {
        _state = State.Finished;
        return chunk.Length;
    }

    private int Take(ReadOnlySpan<byte> chunk)
    {
        if (_valueLength > 0)
        {
            Found = Encoding.UTF8.GetString(_value, 0, _valueLength);
        }

        return GiveUp(chunk);
    }

    // What a one-character escape stands for; 0 for one JSON does not have.
    private static byte Unescape(byte b) => b switch
    {
        (byte)'"' or (byte)'\\' or (byte)'/' => b,
        (byte)'b' => (byte)'\b',
        (byte)'f' => (byte)'\f',
        (byte)'n' => (byte)'\n',
        (byte)'r' => (byte)'\r',
        (byte)'t' => (byte)'\t',
        _ => 0,
    };

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
