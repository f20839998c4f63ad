using System.IO.Pipelines;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// A cleartext client connection's socket as the HTTP/1.1 front end reads and writes it directly: a request's bytes go
/// recv() → the front end's buffer → its parser, and a response buffer → send(), with no transport pipes or receive
/// and send loops between (<see cref="EpollConnection.TakeDirectPipe"/>; the https listeners do the same under their
/// SslStream, <see cref="Tls.TlsTermination"/>). Should the front end hand the connection to Kestrel, <see cref="HandBackAsync"/>
/// starts the connection's pipes then, with the bytes already received at their front.
/// </summary>
internal sealed class EpollSocketPipe : IDuplexPipe
{
    private readonly EpollConnection _connection;
    private readonly EpollSocketReader _input;
    private readonly EpollSocketWriter _output;

    public EpollSocketPipe(EpollConnection connection, EpollSocket socket)
    {
        _connection = connection;
        _input = new EpollSocketReader(socket);
        _output = new EpollSocketWriter(socket, connection);
    }

    public PipeReader Input => _input;

    public PipeWriter Output => _output;

    /// <summary>
    /// Gives the socket back to the connection, whose pipes Kestrel reads from here on, starting with the bytes received
    /// and not consumed (the request being handed over, and any pipelined after it). Everything written was flushed
    /// before (the front end awaits each response's flush), so nothing is left in the output.
    /// </summary>
    public async ValueTask HandBackAsync()
    {
        await _connection.ResumePipesAsync(_input.Unconsumed).ConfigureAwait(false);
        Release();
    }

    /// <summary>Gives the buffers back (when the connection ends, or after <see cref="HandBackAsync"/>).</summary>
    public void Release()
    {
        _input.Complete();
        _output.Complete();
    }
}
