using System.Buffers.Text;
using System.Text;

namespace Gateway.Direct;

/// <summary>
/// Writes a response head into a fixed buffer. A head that does not fit says so (<see cref="Overflowed"/>) rather
/// than growing: the direct path then leaves the request to the pipeline.
/// </summary>
internal ref struct HeadWriter(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;

    public int Length { get; private set; }

    public bool Overflowed { get; private set; }

    public void Line(ReadOnlySpan<byte> line)
    {
        Append(line);
        Append("\r\n"u8);
    }

    public void Field(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Append(name);
        Line(value);
    }

    public void Field(ReadOnlySpan<byte> name, long value) => Field(name, default, value);

    /// <summary>A field whose value is <paramref name="prefix"/> followed by a number.</summary>
    public void Field(ReadOnlySpan<byte> name, ReadOnlySpan<byte> prefix, long value)
    {
        Append(name);
        Append(prefix);
        if (!Overflowed && Utf8Formatter.TryFormat(value, _buffer[Length..], out var written))
        {
            Length += written;
        }
        else
        {
            Overflowed = true;
        }

        Append("\r\n"u8);
    }

    /// <summary>A field whose name and value are strings; a value outside printable ASCII overflows the head.</summary>
    public void Field(string name, string value)
    {
        Ascii(name);
        Ascii(value);
        Append("\r\n"u8);
    }

    public void Field(ReadOnlySpan<byte> name, string value)
    {
        Append(name);
        Ascii(value);
        Append("\r\n"u8);
    }

    private void Ascii(string text)
    {
        if (Overflowed || text.Length > _buffer.Length - Length || text.AsSpan().ContainsAnyExceptInRange(' ', '~'))
        {
            Overflowed = true;
            return;
        }

        Length += Encoding.ASCII.GetBytes(text, _buffer[Length..]);
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (Overflowed || !bytes.TryCopyTo(_buffer[Length..]))
        {
            Overflowed = true;
            return;
        }

        Length += bytes.Length;
    }
}
