namespace Gateway.Ownership;

internal sealed partial class TopLevelIdScanner
{
    // Skips one top-level value, whatever its size, looking only at the bytes that change the structure.
    private int Skip(ReadOnlySpan<byte> chunk, int i)
    {
        while (i < chunk.Length)
        {
            if (_inSkippedString)
            {
                if (_escape)
                {
                    _escape = false;
                    i++;
                    continue;
                }

                var inString = chunk[i..].IndexOfAny(s_stringEnds);
                if (inString < 0)
                {
                    return chunk.Length;
                }

                i += inString + 1;
                if (chunk[i - 1] == (byte)'"')
                {
                    _inSkippedString = false;
                }
                else
                {
                    _escape = true;
                }

                continue;
            }

            var next = chunk[i..].IndexOfAny(_nesting == 0 ? s_topLevelStructure : s_nestedStructure);
            if (next < 0)
            {
                return chunk.Length;
            }

            i += next + 1;
            switch (chunk[i - 1])
            {
                case (byte)'"':
                    _inSkippedString = true;
                    break;
                case (byte)'{' or (byte)'[':
                    _nesting++;
                    break;
                case (byte)'}' or (byte)']' when _nesting > 0:
                    _nesting--;
                    break;
                case (byte)',':
                    _state = State.ExpectKey;
                    return i;
                default:
                    // The top-level object closed without the property.
                    return GiveUp(chunk);
            }
        }

        return i;
    }
}
