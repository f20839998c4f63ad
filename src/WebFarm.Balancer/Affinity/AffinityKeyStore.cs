using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace WebFarm.Balancer.Affinity;

/// <summary>
/// The key that signs affinity cookies. A configured key (base64) wins; otherwise a random 256-bit key is generated
/// on first start and kept in the state directory, so cookies stay valid across restarts. Several balancers that
/// share one farm's clients need the same key: configure it, or share the file.
/// </summary>
public static class AffinityKeyStore
{
    public const string FileName = "affinity.key";

    public const int MinimumKeyBytes = 16;

    public const int GeneratedKeyBytes = 32;

    /// <summary>Parses a configured key; the error says what is wrong without echoing the secret.</summary>
    public static bool TryParseConfigured(string? text, out byte[] key, out string error)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the key is empty (omit it to have one generated and kept in the state directory)";
            return false;
        }

        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            error = "the key is not valid base64 (generate one with: openssl rand -base64 32)";
            return false;
        }

        if (key.Length < MinimumKeyBytes)
        {
            error = $"the key has {key.Length} bytes; at least {MinimumKeyBytes} are required (32 recommended: openssl rand -base64 32)";
            key = [];
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <summary>
    /// The configured key when given, else the one kept in <paramref name="stateDirectory"/>, created if missing.
    /// Throws <see cref="InvalidOperationException"/> with a specific message when either is unusable.
    /// </summary>
    public static byte[] Load(string? configuredBase64, string stateDirectory)
    {
        if (configuredBase64 is not null)
        {
            return TryParseConfigured(configuredBase64, out var configured, out var error)
                ? configured
                : throw new InvalidOperationException("Affinity.Key: " + error);
        }

        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        var path = Path.Combine(stateDirectory, FileName);
        if (File.Exists(path))
        {
            return ReadKeyFile(path);
        }

        Directory.CreateDirectory(stateDirectory);
        var key = RandomNumberGenerator.GetBytes(GeneratedKeyBytes);
        var temporary = Path.Combine(stateDirectory, $".{FileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            // Written to a private temporary file first and then linked into place, so no reader ever sees a
            // half-written key and the secret is never readable by others, even for a moment.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key) + "\n"));
                stream.Flush(flushToDisk: true);
            }

            if (!TryPublish(temporary, path))
            {
                // Another balancer (or thread) sharing the directory won the race: use its key, so all sign alike.
                return ReadKeyFile(path);
            }

            return key;
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>
    /// Puts the finished temporary file in place only if no key file exists yet, atomically. File.Move without
    /// overwrite is not enough on Linux: where it cannot hard-link it checks and then renames, and two first
    /// starts can each replace the other's key. link(2) fails with EEXIST instead, atomically.
    /// </summary>
    /// <returns>False when a key file was already there.</returns>
    private static bool TryPublish(string temporary, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                File.Move(temporary, path, overwrite: false); // MoveFileEx without REPLACE_EXISTING: atomic.
                return true;
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
        }

        if (Link(temporary, path) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == EExist)
        {
            return false;
        }

        throw new IOException($"Cannot create the affinity key file '{path}': link() failed with errno {errno}.");
    }

    private const int EExist = 17;

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existingPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    private static byte[] ReadKeyFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.ASCII);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Cannot read the affinity key file '{path}': {ex.Message}", ex);
        }

        return TryParseConfigured(text, out var key, out var error)
            ? key
            : throw new InvalidOperationException($"The affinity key file '{path}' is unusable: {error}. Delete it to generate a new key (existing affinity cookies will then be ignored).");
    }
}
