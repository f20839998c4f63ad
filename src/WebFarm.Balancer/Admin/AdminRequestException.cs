namespace WebFarm.Balancer.Admin;

/// <summary>Bad admin API input; the message starts with the field name and says why.</summary>
internal sealed class AdminRequestException(string message) : Exception(message);
