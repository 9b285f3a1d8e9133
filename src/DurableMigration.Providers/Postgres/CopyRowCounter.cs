using System.Buffers.Binary;

namespace DurableMigration.Providers.Postgres;

/// <summary>Counts the rows of a binary COPY stream as it passes through, without decoding values.</summary>
/// <remarks>
/// The format (PostgreSQL's "Binary Format" of COPY): an 11-byte signature, 4 bytes of flags, a 4-byte header extension
/// length and that many bytes; then per row a 2-byte field count (-1 ends the stream) and per field a 4-byte length
/// (-1 for null) followed by that many bytes. All integers are big-endian.
/// </remarks>
internal sealed class CopyRowCounter
{
    private const int HeaderLength = 19;

    private readonly byte[] _scratch = new byte[HeaderLength];
    private State _state = State.Header;
    private int _have;
    private long _skip;
    private int _fieldsLeft;

    private enum State
    {
        Header,
        HeaderExtension,
        Count,
        Length,
        Data,
        Done,
    }

    /// <summary>Gets the rows counted so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Gets a value indicating whether the stream's trailer was seen.</summary>
    public bool Complete => _state == State.Done;

    /// <summary>Feeds the next bytes of the stream.</summary>
    public void Feed(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0 && _state != State.Done)
        {
            switch (_state)
            {
                case State.Header:
                    if (!Fill(ref data, HeaderLength))
                    {
                        return;
                    }

                    _skip = BinaryPrimitives.ReadInt32BigEndian(_scratch.AsSpan(15, 4));
                    _state = _skip > 0 ? State.HeaderExtension : State.Count;
                    break;
                case State.HeaderExtension or State.Data:
                {
                    int n = (int)Math.Min(_skip, data.Length);
                    data = data[n..];
                    _skip -= n;
                    if (_skip == 0)
                    {
                        _state = _state == State.HeaderExtension ? State.Count : NextField();
                    }

                    break;
                }

                case State.Count:
                {
                    if (!Fill(ref data, 2))
                    {
                        return;
                    }

                    short count = BinaryPrimitives.ReadInt16BigEndian(_scratch);
                    if (count < 0)
                    {
                        _state = State.Done;
                        break;
                    }

                    Rows++;
                    _fieldsLeft = count;
                    _state = NextField();
                    break;
                }

                case State.Length:
                {
                    if (!Fill(ref data, 4))
                    {
                        return;
                    }

                    int length = BinaryPrimitives.ReadInt32BigEndian(_scratch);
                    _fieldsLeft--;
                    if (length > 0)
                    {
                        _skip = length;
                        _state = State.Data;
                    }
                    else
                    {
                        _state = NextField();
                    }

                    break;
                }
            }
        }
    }

    private State NextField() => _fieldsLeft > 0 ? State.Length : State.Count;

    /// <summary>Collects <paramref name="length"/> bytes into the scratch buffer; true once all are there.</summary>
    private bool Fill(ref ReadOnlySpan<byte> data, int length)
    {
        int n = Math.Min(length - _have, data.Length);
        data[..n].CopyTo(_scratch.AsSpan(_have));
        data = data[n..];
        _have += n;
        if (_have < length)
        {
            return false;
        }

        _have = 0;
        return true;
    }
}
