using HelloFarm.Hosting;
using Microsoft.AspNetCore.Antiforgery;

namespace HelloFarm.Pages;

/// <summary>
/// The home page: who answered, the visit counter, and the name form. The form posts back here; the
/// names go into the session and the visitor is sent to the About page, which reads them back.
/// </summary>
internal static class HomePage
{
    public const int MaxNameLength = 100;

    public static async Task<IResult> GetAsync(HttpContext context, InstanceInfo instance, IAntiforgery antiforgery)
    {
        var visits = await VisitorSession.CountVisitAsync(context);
        var (firstName, lastName) = await VisitorSession.GetNameAsync(context);
        return Render(context, instance, antiforgery, visits, firstName, lastName, error: null);
    }

    public static async Task<IResult> PostAsync(HttpContext context, InstanceInfo instance, IAntiforgery antiforgery)
    {
        if (!context.Request.HasFormContentType)
        {
            return Results.Text("Expected a form post (application/x-www-form-urlencoded or multipart/form-data).", statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            // Tokens are issued by whichever server rendered the form; with the farm's shared
            // Data Protection keys any server can validate them, so this means a forged or stale form.
            return HtmlPage.Render("Form rejected", instance,
                "<p class=\"error\">The form's antiforgery token is missing or invalid. Go back to the <a href=\"/\">home page</a> and submit the form again.</p>\n",
                StatusCodes.Status400BadRequest);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var firstName = form["firstName"].ToString().Trim();
        var lastName = form["lastName"].ToString().Trim();
        var error = Validate(firstName, lastName);
        if (error is not null)
        {
            var visits = await VisitorSession.CountVisitAsync(context);
            return Render(context, instance, antiforgery, visits, firstName, lastName, error, StatusCodes.Status400BadRequest);
        }

        await VisitorSession.SetNameAsync(context, firstName, lastName);
        return Results.Redirect("/about");
    }

    private static string? Validate(string firstName, string lastName)
    {
        if (firstName.Length == 0 || lastName.Length == 0)
        {
            return "Please enter both a first and a last name.";
        }

        if (firstName.Length > MaxNameLength || lastName.Length > MaxNameLength)
        {
            return $"Names are limited to {MaxNameLength} characters.";
        }

        return null;
    }

    private static IResult Render(HttpContext context, InstanceInfo instance, IAntiforgery antiforgery, int visits,
        string? firstName, string? lastName, string? error, int statusCode = StatusCodes.Status200OK)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var errorHtml = error is null ? string.Empty : $"<p class=\"error\">{HtmlPage.Encode(error)}</p>\n";
        var body = $"""
            <p>You have visited this page <strong id="visits">{visits}</strong> time(s) in this session.</p>
            <h2>Who are you?</h2>
            <p>Your name is kept in the session, which every server in the farm can read.</p>
            {errorHtml}<form method="post" action="/">
            <input type="hidden" name="{HtmlPage.Encode(tokens.FormFieldName)}" value="{HtmlPage.Encode(tokens.RequestToken)}">
            <label for="firstName">First name</label>
            <input type="text" id="firstName" name="firstName" maxlength="{MaxNameLength}" value="{HtmlPage.Encode(firstName)}">
            <label for="lastName">Last name</label>
            <input type="text" id="lastName" name="lastName" maxlength="{MaxNameLength}" value="{HtmlPage.Encode(lastName)}">
            <br><button type="submit">Save</button>
            </form>

            """;
        return HtmlPage.Render("Hello from the farm", instance, body, statusCode);
    }
}
