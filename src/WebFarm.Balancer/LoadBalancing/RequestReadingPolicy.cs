using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Base of the policies that read the request: Kestrel's path and the HTTP/1.1 front end both call
/// <see cref="Choose{TRequest}"/>, with their own <see cref="IPolicyRequest"/> view, so there is one choice per policy.
/// </summary>
public abstract class RequestReadingPolicy : IRequestReadingPolicy
{
    private protected RequestReadingPolicy()
    {
    }

    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates)
        => Choose(new HttpRequestPolicyView(context), candidates);

    ServerRuntime? IRequestReadingPolicy.Choose<TRequest>(in TRequest request, ReadOnlySpan<ServerRuntime> candidates)
        => Choose(request, candidates);

    internal abstract ServerRuntime? Choose<TRequest>(in TRequest request, ReadOnlySpan<ServerRuntime> candidates)
        where TRequest : struct, IPolicyRequest;
}
