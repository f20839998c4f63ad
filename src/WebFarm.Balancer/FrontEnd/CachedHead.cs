using System.Text;
using WebFarm.Balancer.Caching;
using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// A cached response's head as the front end writes it for every hit: the status line, the stored headers (one line
/// per value, as Kestrel writes them) and Content-Length, rendered once per stored copy. Each hit adds only what is its
/// own (X-Request-Id, Age, X-Cache, Date when the copy has none, Connection: close): <see cref="ClientResponseWriter.WriteCachedHead"/>.
/// </summary>
internal sealed class CachedHead
{
    // Stands for "this copy is served on Kestrel's path" so that the decision is made once per copy too.
    private static readonly CachedHead None = new([], hasDate: false);

    private CachedHead(byte[] bytes, bool hasDate)
    {
        Bytes = bytes;
        HasDate = hasDate;
    }

    public byte[] Bytes { get; }

    /// <summary>The stored copy has the server's Date (kept, as on Kestrel's path); otherwise the hit gets the front end's.</summary>
    public bool HasDate { get; }

    /// <summary>
    /// The copy's head, or null when the front end leaves the copy to Kestrel's path: a 204 (no Content-Length may go
    /// with it) or a header Kestrel would refuse to write (a name that is no token, a value with a control or non-ASCII
    /// character), so that both paths answer alike.
    /// </summary>
    public static CachedHead? For(CachedResponse entry)
    {
        var head = entry.RenderedHead;
        if (head is null)
        {
            head = Render(entry) ?? None;
            entry.RenderedHead = head;
        }

        return ReferenceEquals(head, None) ? null : head;
    }

    private static CachedHead? Render(CachedResponse entry)
    {
        if (entry.Status is < 200 or 204)
        {
            return null;
        }

        var text = new StringBuilder(256);
        var hasDate = false;
        foreach (var (name, values) in entry.Headers)
        {
            if (!Ascii.IsValid(name) || !HeaderSyntax.IsToken(Encoding.ASCII.GetBytes(name)))
            {
                return null;
            }

            hasDate |= string.Equals(name, "Date", StringComparison.OrdinalIgnoreCase);
            foreach (var value in values)
            {
                if (value is null || !IsWritable(value))
                {
                    return null;
                }

                text.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        text.Append("Content-Length: ").Append(entry.Body.Length).Append("\r\n");
        var status = ClientResponseWriter.StatusLine(entry.Status);
        var fields = Encoding.ASCII.GetBytes(text.ToString());
        return new CachedHead([.. status, .. fields], hasDate);
    }

    /// <summary>Visible ASCII, space and tab: what Kestrel writes without its non-ASCII encoding selector.</summary>
    private static bool IsWritable(string value)
    {
        foreach (var c in value)
        {
            if (c is not ('\t' or (>= ' ' and <= '~')))
            {
                return false;
            }
        }

        return true;
    }
}
