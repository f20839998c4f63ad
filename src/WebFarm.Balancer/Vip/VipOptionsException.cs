namespace WebFarm.Balancer.Vip;

/// <summary>`webfarm vip` options that cannot make a working node: every problem, each naming its option.</summary>
public sealed class VipOptionsException(IReadOnlyList<string> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
