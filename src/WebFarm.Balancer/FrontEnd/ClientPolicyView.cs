using System.Net;
using System.Text;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// A request head the front end parsed, as a policy that reads the request sees it: the same characters Kestrel's
/// parsed request gives (<see cref="HttpRequestPolicyView"/>). The path needs no decoding (the parser takes none with
/// '%' or dot segments), the query is the target's raw bytes after '?', and header values are read as Latin-1.
/// </summary>
internal readonly struct ClientPolicyView(ClientRequestHead head, IPAddress? remoteAddress) : IPolicyRequest
{
    public IPAddress? RemoteAddress => remoteAddress;

    public ReadOnlySpan<char> Path => head.Path;

    public ReadOnlySpan<char> Query => head.Query;

    public int HeaderCount(string name)
    {
        var count = 0;
        for (var i = 0; i < head.FieldCount; i++)
        {
            if (Ascii.EqualsIgnoreCase(head.Name(head.Field(i)), name))
            {
                count++;
            }
        }

        return count;
    }

    public ReadOnlySpan<char> Header(string name, int index)
    {
        for (var i = 0; i < head.FieldCount; i++)
        {
            var field = head.Field(i);
            if (Ascii.EqualsIgnoreCase(head.Name(field), name) && index-- == 0)
            {
                return head.ValueChars(field);
            }
        }

        return default;
    }
}
