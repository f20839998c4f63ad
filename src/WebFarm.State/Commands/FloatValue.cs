using System.Globalization;
using System.Text;

namespace WebFarm.State.Commands;

/// <summary>
/// The number INCRBYFLOAT and HINCRBYFLOAT work on. Redis adds in 80-bit long double and prints 17 decimals
/// with trailing zeros removed, so "10.5 + 0.1" shows "10.6", not a binary artefact. A double cannot do
/// that, so plain decimal numbers (no exponent, within ±7.9e28) are added exactly in System.Decimal and
/// only the rest (exponents, huge or tiny values) fall back to double. Either way the result is printed in
/// fixed notation with at most 17 decimals and no trailing zeros, and "-0" is printed as "0", as Redis does.
/// </summary>
internal readonly struct FloatValue
{
    /// <summary>Redis refuses numbers written with this many characters or more (MAX_LONG_DOUBLE_CHARS).</summary>
    private const int MaxChars = 5 * 1024;

    private const NumberStyles DecimalStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint;
    private const NumberStyles DoubleStyle = DecimalStyle | NumberStyles.AllowExponent;

    private readonly decimal _exact;
    private readonly double _approximate;
    private readonly bool _isExact;

    private FloatValue(decimal exact)
    {
        _exact = exact;
        _approximate = (double)exact;
        _isExact = true;
    }

    private FloatValue(double approximate)
    {
        _approximate = approximate;
        _isExact = false;
    }

    public bool IsFinite => _isExact || double.IsFinite(_approximate);

    public static FloatValue Zero => new(0m);

    /// <summary>Parses like Redis's string2ld (strtold): no spaces, no trailing bytes, no NaN; "inf" is accepted.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out FloatValue value)
    {
        value = default;
        if (text.IsEmpty || text.Length >= MaxChars)
        {
            return false;
        }

        Span<char> chars = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 127)
            {
                return false;
            }

            chars[i] = (char)text[i];
        }

        if (decimal.TryParse(chars, DecimalStyle, CultureInfo.InvariantCulture, out var exact))
        {
            value = new FloatValue(exact);
            return true;
        }

        var unsigned = chars[0] is '+' or '-' ? chars[1..] : chars;
        if (unsigned.Equals("inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = new FloatValue(chars[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity);
            return true;
        }

        // strtold reports ERANGE for overflow and for underflow to zero; Redis refuses both.
        if (!double.TryParse(chars, DoubleStyle, CultureInfo.InvariantCulture, out var approximate)
            || !double.IsFinite(approximate)
            || (approximate == 0 && HasNonZeroDigit(unsigned)))
        {
            return false;
        }

        value = new FloatValue(approximate);
        return true;
    }

    public FloatValue Add(FloatValue other)
    {
        if (_isExact && other._isExact)
        {
            try
            {
                return new FloatValue(_exact + other._exact);
            }
            catch (OverflowException)
            {
                // Falls through to double, like Redis's long double which has the range.
            }
        }

        return new FloatValue(_approximate + other._approximate);
    }

    public byte[] ToRedisString() => Encoding.ASCII.GetBytes(Format());

    public string Format()
    {
        if (_isExact)
        {
            var rounded = decimal.Round(_exact, 17, MidpointRounding.ToEven);
            return NoNegativeZero(rounded.ToString("0.#################", CultureInfo.InvariantCulture));
        }

        var shortest = _approximate.ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = shortest.IndexOf('E', StringComparison.Ordinal);
        if (exponentAt < 0)
        {
            var dot = shortest.IndexOf('.', StringComparison.Ordinal);
            return dot >= 0 && shortest.Length - dot - 1 > 17 ? Fixed17(_approximate) : NoNegativeZero(shortest);
        }

        var exponent = int.Parse(shortest.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (exponent < 0)
        {
            return Fixed17(_approximate);
        }

        // A large number: the shortest round-trip digits, written out in full (Redis never prints an exponent).
        var mantissa = shortest[..exponentAt];
        var negative = mantissa.StartsWith('-');
        if (negative)
        {
            mantissa = mantissa[1..];
        }

        var pointAt = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = mantissa.Replace(".", string.Empty, StringComparison.Ordinal);
        var integerDigits = (pointAt < 0 ? mantissa.Length : pointAt) + exponent;
        var text = digits.Length <= integerDigits
            ? digits + new string('0', integerDigits - digits.Length)
            : digits[..integerDigits] + "." + digits[integerDigits..];
        return negative ? "-" + text : text;
    }

    private static string Fixed17(double value)
    {
        var text = value.ToString("F17", CultureInfo.InvariantCulture).TrimEnd('0');
        return NoNegativeZero(text.EndsWith('.') ? text[..^1] : text);
    }

    private static string NoNegativeZero(string text) => text == "-0" ? "0" : text;

    private static bool HasNonZeroDigit(ReadOnlySpan<char> text)
    {
        foreach (var ch in text)
        {
            if (ch is 'e' or 'E')
            {
                break;
            }

            if (ch is >= '1' and <= '9')
            {
                return true;
            }
        }

        return false;
    }
}
