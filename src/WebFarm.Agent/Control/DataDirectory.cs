namespace WebFarm.Agent.Control;

/// <summary>The data directory rule shared by the controller and the agent: created if missing, and proven writable at start.</summary>
public static class DataDirectory
{
    /// <summary>Creates the directory if needed and writes (then removes) a probe file in it.</summary>
    /// <returns>The full path.</returns>
    /// <exception cref="DataDirectoryException">It cannot be created or written (the option, the path and the system's reason).</exception>
    public static string EnsureWritable(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new DataDirectoryException($"{option}: a directory is required");
        }

        string full;
        try
        {
            full = Path.GetFullPath(path);
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".write-probe-{Environment.ProcessId}");
            File.WriteAllText(probe, "ok");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new DataDirectoryException($"{option} {path}: the directory cannot be created or written ({ex.Message})");
        }

        return full;
    }
}
