using Microsoft.Playwright;

namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>
/// The documentation's screenshots, taken by the tests that bring a page to the state they show: only when
/// WEBFARM_SCREENSHOTS names a directory (docs/images when the docs are refreshed), never in an ordinary run.
/// </summary>
internal static class Screenshots
{
    public static async Task SaveAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("WEBFARM_SCREENSHOTS") is not { Length: > 0 } directory)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }
}
