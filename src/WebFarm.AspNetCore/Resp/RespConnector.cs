namespace WebFarm.AspNetCore.Resp;

/// <summary>
/// Opens a ready-to-use connection to one server: TCP connect and <c>AUTH</c>, each bounded by
/// <see cref="RespClientOptions.ConnectTimeout"/>. The one handshake for the primary/replica client, the cluster's
/// node connections and topology detection.
/// </summary>
internal sealed class RespConnector(RespClientOptions options)
{
    public TimeSpan ConnectTimeout => options.ConnectTimeout;

    /// <summary>Connects to <paramref name="endPoint"/> and authenticates; the connection is disposed on failure.</summary>
    public async Task<RespConnection> OpenAsync(RespEndPoint endPoint, int endPointIndex, CancellationToken cancellationToken)
    {
        var connection = await RespConnection.ConnectAsync(endPoint, endPointIndex, options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            if (options.Password is not null)
            {
                var auth = options.User is null
                    ? RespCommand.Create("AUTH", options.Password)
                    : RespCommand.Create("AUTH", options.User, options.Password);
                var reply = await HandshakeAsync(connection, auth, cancellationToken).ConfigureAwait(false);
                if (reply.IsError)
                {
                    throw new RespConnectionException($"{endPoint} rejected AUTH: {reply.AsString()}");
                }
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends one command during the handshake and waits at most the connect timeout for its reply.</summary>
    public async Task<RespValue> HandshakeAsync(RespConnection connection, RespCommand command, CancellationToken cancellationToken)
    {
        var pending = new RespPendingCommand(command);
        try
        {
            return await connection.Send(pending).WaitAsync(options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            pending.Abandon();
            throw new RespConnectionException($"{connection.EndPoint} did not answer {command.Name} within {options.ConnectTimeout.TotalMilliseconds:0} ms.");
        }
    }

    /// <summary>
    /// Sends <c>INFO cluster</c>: <see cref="RespTopology.Cluster"/> for a cluster node (<c>cluster_enabled:1</c>),
    /// <see cref="RespTopology.Primary"/> for a server without that section or without INFO (an error reply), and
    /// <see cref="RespTopology.Auto"/> (undecided) when it wants a password first: the commands then get its NOAUTH.
    /// </summary>
    public async Task<RespTopology> DetectTopologyAsync(RespConnection connection, CancellationToken cancellationToken)
    {
        var info = await HandshakeAsync(connection, RespCommand.Create("INFO", "cluster"), cancellationToken).ConfigureAwait(false);
        if (info.IsError)
        {
            return info.AsString()!.StartsWith("NOAUTH", StringComparison.Ordinal) ? RespTopology.Auto : RespTopology.Primary;
        }

        return info.AsString() is { } text && text.Contains("cluster_enabled:1", StringComparison.Ordinal) ? RespTopology.Cluster : RespTopology.Primary;
    }
}
