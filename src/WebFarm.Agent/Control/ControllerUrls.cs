namespace WebFarm.Agent.Control;

/// <summary>
/// `--controller URL[,URL…]` (the agent's and the CLI's): one controller, or a leader/standby pair in any order.
/// Each URL is normalized to end in '/', so API paths resolve under it.
/// </summary>
public static class ControllerUrls
{
    /// <exception cref="FormatException">An empty entry, a URL that is not http(s), or one given twice; the message names it.</exception>
    public static IReadOnlyList<Uri> Parse(string text, string option = "--controller")
    {
        ArgumentNullException.ThrowIfNull(text);
        var urls = new List<Uri>();
        foreach (var part in text.Split(','))
        {
            var entry = part.Trim();
            if (entry.Length == 0)
            {
                throw new FormatException($"{option} '{text}': an empty URL in the list (separate URLs with one comma, like http://10.0.0.10:8070,http://10.0.0.20:8070)");
            }

            if (!Uri.TryCreate(entry.EndsWith('/') ? entry : entry + "/", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || string.IsNullOrEmpty(url.Host))
            {
                throw new FormatException($"{option} '{entry}' is not an http(s) URL like http://10.0.0.10:8070");
            }

            if (urls.Contains(url))
            {
                throw new FormatException($"{option} '{text}': {url} is given twice");
            }

            urls.Add(url);
        }

        return urls;
    }
}
