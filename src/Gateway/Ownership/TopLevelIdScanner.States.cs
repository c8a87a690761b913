using System.Buffers;

namespace Gateway.Ownership;

internal sealed partial class TopLevelIdScanner
{
    // The only bytes that change the state while skipping: vectorised searches jump over everything else.
    private static readonly SearchValues<byte> s_stringEnds = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> s_topLevelStructure = SearchValues.Create("\"{}[],"u8);
    private static readonly SearchValues<byte> s_nestedStructure = SearchValues.Create("\"{}[]"u8);

    private int BeforeRoot(ReadOnlySpan<byte> chunk, int i)
    {
        var b = chunk[i];
        // Whitespace, and a UTF-8 byte order mark, may precede the object.
        if (IsWhitespace(b) || b is 0xEF or 0xBB or 0xBF)
        {
            return i + 1;
        }

        if (b != (byte)'{')
        {
            return GiveUp(chunk);
        }

        _state = State.ExpectKey;
        return i + 1;
    }

    private int ExpectKey(ReadOnlySpan<byte> chunk, int i)
    {
        var b = chunk[i];
        if (IsWhitespace(b))
        {
            return i + 1;
        }

        if (b != (byte)'"')
        {
            // '}' ends the object without the property; anything else is not JSON this scan can follow.
            return GiveUp(chunk);
        }

        _state = State.InKey;
        _keyMatched = 0;
        return i + 1;
    }

    // Compares the key with the name as it arrives, decoding escapes, so "job\u005fid" is job_id.
    private int InKey(ReadOnlySpan<byte> chunk, int i)
    {
        for (; i < chunk.Length; i++)
        {
            var b = chunk[i];
            if (_hexLeft > 0)
            {
                if (HexStep(b) is { } codePoint)
                {
                    MatchKeyByte(codePoint < 0x80 ? (byte)codePoint : (byte)0);
                }
            }
            else if (_escape)
            {
                _escape = false;
                if (b == (byte)'u')
                {
                    _hexLeft = 4;
                    _hex = 0;
                }
                else
                {
                    MatchKeyByte(Unescape(b));
                }
            }
            else if (b == (byte)'\\')
            {
                _escape = true;
            }
            else if (b == (byte)'"')
            {
                _state = State.AfterKey;
                return i + 1;
            }
            else
            {
                MatchKeyByte(b);
            }
        }

        return i;
    }

    private void MatchKeyByte(byte b) =>
        _keyMatched = _keyMatched >= 0 && _keyMatched < _name.Length && b != 0 && _name[_keyMatched] == b ? _keyMatched + 1 : -1;

    // One hex digit of a \uXXXX escape; the code point once all four are in, -1 for a digit that is not hex.
    private int? HexStep(byte b)
    {
        var digit = HexDigit(b);
        _hex = digit < 0 || _hex < 0 ? -1 : (_hex << 4) | digit;
        return --_hexLeft == 0 ? (_hex < 0 ? 0x80 : _hex) : null;
    }

    private int AfterKey(ReadOnlySpan<byte> chunk, int i)
    {
        var b = chunk[i];
        if (IsWhitespace(b))
        {
            return i + 1;
        }

        if (b != (byte)':')
        {
            return GiveUp(chunk);
        }

        _state = State.ExpectValue;
        return i + 1;
    }

    private int ExpectValue(ReadOnlySpan<byte> chunk, int i)
    {
        var b = chunk[i];
        if (IsWhitespace(b))
        {
            return i + 1;
        }

        if (_keyMatched == _name.Length)
        {
            if (b != (byte)'"')
            {
                // null, a number, an object: not an id.
                return GiveUp(chunk);
            }

            _state = State.Capture;
            _valueLength = 0;
            return i + 1;
        }

        // Another property's value: skip it, this byte included.
        _state = State.SkipValue;
        _nesting = 0;
        _inSkippedString = false;
        return i;
    }

    private int Capture(ReadOnlySpan<byte> chunk, int i)
    {
        while (i < chunk.Length)
        {
            if (_hexLeft > 0)
            {
                // Ids are ASCII; a non-ASCII escape is not one.
                if (HexStep(chunk[i++]) is { } codePoint && (codePoint >= 0x80 || !Append((byte)codePoint)))
                {
                    return GiveUp(chunk);
                }

                continue;
            }

            if (_escape)
            {
                _escape = false;
                var b = chunk[i++];
                if (b == (byte)'u')
                {
                    _hexLeft = 4;
                    _hex = 0;
                }
                else if (Unescape(b) is 0 || !Append(Unescape(b)))
                {
                    return GiveUp(chunk);
                }

                continue;
            }

            var rest = chunk[i..];
            var end = rest.IndexOfAny(s_stringEnds);
            var plain = end < 0 ? rest : rest[..end];
            if (_valueLength + plain.Length > MaxValueBytes)
            {
                return GiveUp(chunk);
            }

            plain.CopyTo(_value.AsSpan(_valueLength));
            _valueLength += plain.Length;
            if (end < 0)
            {
                return chunk.Length;
            }

            i += end + 1;
            if (rest[end] == (byte)'"')
            {
                return Take(chunk);
            }

            _escape = true;
        }

        return i;
    }

    private bool Append(byte b)
    {
        if (_valueLength == MaxValueBytes)
        {
            return false;
        }

        _value[_valueLength++] = b;
        return true;
    }
}
