using System.Text;
using WebFarm.State.Protocol;

namespace WebFarm.State.Commands;

/// <summary>Small conversions between request bytes and text/numbers used by command handlers.</summary>
internal static class Text
{
    public static bool Is(ReadOnlySpan<byte> arg, ReadOnlySpan<byte> upperKeyword) => Ascii.EqualsIgnoreCase(arg, upperKeyword);

    public static bool TryLong(ReadOnlySpan<byte> arg, out long value) => RespRequestParser.TryParseInteger(arg, out value);

    public static string Utf8(ReadOnlySpan<byte> arg) => Encoding.UTF8.GetString(arg);

    /// <summary>For error messages: at most <paramref name="max"/> bytes, control characters shown as spaces.</summary>
    public static string Printable(ReadOnlySpan<byte> arg, int max)
    {
        var text = Encoding.UTF8.GetString(arg[..Math.Min(arg.Length, max)]);
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i]))
            {
                chars[i] = ' ';
            }
        }

        return new string(chars);
    }
}
