using Microsoft.Net.Http.Headers;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Consistent hash of one request attribute (a header, a cookie, the path or a query parameter), so that
/// requests with the same key go to the same server and taking a server out moves only its keys.
/// A request without the key is balanced by weighted random.
/// </summary>
/// <remarks>
/// Keys are hashed straight from the request's characters (<see cref="IPolicyRequest"/>, the same for Kestrel's path
/// and the HTTP/1.1 front end): the Cookie header and the query string are scanned as spans rather than through
/// Request.Cookies / Request.Query, which would parse and allocate a collection per request. Cookie and query values
/// are hashed as sent (not unescaped), which is stable for a given client.
/// </remarks>
public sealed class HashPolicy : RequestReadingPolicy
{
    private readonly HashKeySpec _key;

    public HashPolicy(HashKeySpec key)
    {
        if (key.Source != HashKeySource.Path)
        {
            ArgumentException.ThrowIfNullOrEmpty(key.Name, nameof(key));
        }

        _key = key;
    }

    public HashKeySpec Key => _key;

    internal override ServerRuntime? Choose<TRequest>(in TRequest request, ReadOnlySpan<ServerRuntime> candidates)
        => TryHashKey(request, out var hash)
            ? RendezvousHash.Choose(hash, candidates)
            : WeightedRandom.Choose(candidates);

    internal bool TryHashKey<TRequest>(in TRequest request, out ulong hash)
        where TRequest : struct, IPolicyRequest
    {
        hash = 0;
        switch (_key.Source)
        {
            case HashKeySource.Path:
                hash = StableHash.Hash(request.Path);
                return true;

            case HashKeySource.Header:
                {
                    var count = request.HeaderCount(_key.Name!);
                    if (count == 0 || (count == 1 && request.Header(_key.Name!, 0).IsEmpty))
                    {
                        return false;
                    }

                    var state = StableHash.Seed;
                    for (var i = 0; i < count; i++)
                    {
                        state = StableHash.AppendSeparator(StableHash.Append(state, request.Header(_key.Name!, i)));
                    }

                    hash = StableHash.Mix(state);
                    return true;
                }

            case HashKeySource.Cookie:
                {
                    var count = request.HeaderCount(HeaderNames.Cookie);
                    for (var i = 0; i < count; i++)
                    {
                        if (TryFindPair(request.Header(HeaderNames.Cookie, i), _key.Name!, ';', out var value))
                        {
                            hash = StableHash.Hash(value);
                            return true;
                        }
                    }

                    return false;
                }

            case HashKeySource.Query:
                {
                    if (TryFindPair(request.Query, _key.Name!, '&', out var value))
                    {
                        hash = StableHash.Hash(value);
                        return true;
                    }

                    return false;
                }

            default:
                return false;
        }
    }

    /// <summary>
    /// Finds "name=value" in a list separated by <paramref name="separator"/>, with optional spaces around
    /// items (as in "a=1; b=2"). A bare "name" without '=' counts as an empty value.
    /// </summary>
    internal static bool TryFindPair(ReadOnlySpan<char> list, string name, char separator, out ReadOnlySpan<char> value)
    {
        while (!list.IsEmpty)
        {
            var end = list.IndexOf(separator);
            var item = (end < 0 ? list : list[..end]).Trim(' ');
            list = end < 0 ? default : list[(end + 1)..];

            var eq = item.IndexOf('=');
            var itemName = (eq < 0 ? item : item[..eq]).TrimEnd(' ');
            if (itemName.SequenceEqual(name))
            {
                value = eq < 0 ? default : item[(eq + 1)..].TrimStart(' ');
                return true;
            }
        }

        value = default;
        return false;
    }
}
