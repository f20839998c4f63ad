using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace WebFarm.Balancer.Compression;

/// <summary>
/// Chooses the coding of a response from the client's Accept-Encoding (RFC 9110 12.5.3), without allocating:
/// the offered coding with the highest q-value above 0 wins, ties going to the one offered first; a coding the
/// client does not name takes the q-value of "*" (0 without one); "x-gzip" is gzip. Identity wins only when the
/// client names it (or "*") with a higher q-value than every offered coding. No header (or an empty one) means
/// identity: RFC 9110 allows any coding then, but clients that send none are scripts and probes that expect none
/// (nginx and ASP.NET Core do the same). An element whose q-value does not parse is ignored.
/// </summary>
internal static class AcceptEncoding
{
    private const int Unlisted = -1;

    public static ContentCoding Choose(StringValues header, ContentCoding[] offered)
    {
        // q-values in thousandths (RFC 9110 12.4.2 allows three decimals), -1 = not named.
        int br = Unlisted, gzip = Unlisted, identity = Unlisted, any = Unlisted;
        foreach (var line in header)
        {
            if (line is null)
            {
                continue;
            }

            var span = line.AsSpan();
            foreach (var range in span.Split(','))
            {
                var element = span[range].Trim(" \t");
                if (element.IsEmpty)
                {
                    continue;
                }

                var semicolon = element.IndexOf(';');
                var name = (semicolon < 0 ? element : element[..semicolon]).TrimEnd(" \t");
                var q = 1000;
                if (semicolon >= 0 && !TryParseWeight(element[(semicolon + 1)..], out q))
                {
                    continue;
                }

                if (name.Equals("br", StringComparison.OrdinalIgnoreCase))
                {
                    br = Math.Max(br, q);
                }
                else if (name.Equals("gzip", StringComparison.OrdinalIgnoreCase) || name.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
                {
                    gzip = Math.Max(gzip, q);
                }
                else if (name.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    identity = Math.Max(identity, q);
                }
                else if (name.SequenceEqual("*"))
                {
                    any = Math.Max(any, q);
                }
            }
        }

        var best = ContentCoding.Identity;
        var bestQ = 0;
        foreach (var coding in offered)
        {
            var q = coding == ContentCoding.Brotli ? br : gzip;
            if (q == Unlisted)
            {
                q = any == Unlisted ? 0 : any;
            }

            if (q > bestQ)
            {
                best = coding;
                bestQ = q;
            }
        }

        return identity > bestQ ? ContentCoding.Identity : best;
    }

    /// <summary>The parameters after a coding's ';': "q=0.5" (whitespace allowed around ';'); anything else is not a weight.</summary>
    private static bool TryParseWeight(ReadOnlySpan<char> parameters, out int thousandths)
    {
        thousandths = 0;
        var p = parameters.Trim(" \t");
        if (p.Length < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
        {
            return false;
        }

        var value = p[2..];

        // RFC 9110: ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
        if (value.Length > 5 || (value.Length > 1 && value[1] != '.') || (value[0] != '0' && value[0] != '1'))
        {
            return false;
        }

        if (!decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var weight) || weight > 1)
        {
            return false;
        }

        thousandths = (int)(weight * 1000);
        return true;
    }
}
