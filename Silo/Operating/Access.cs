using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace SynergAI.Silo.Operating;

/// <summary>One API key (configuration <c>Access:ApiKeys:N</c>): who holds it and what it may do.</summary>
public sealed class ApiKey
{
    public string Name { get; set; } = "";
    public string Key { get; set; } = "";
    /// <summary><c>viewer</c> reads; <c>operator</c> also submits, cancels, registers workers and configures pools.</summary>
    public string Role { get; set; } = Access.Viewer;
}

/// <summary>Configuration section <c>Access</c>.</summary>
public sealed class AccessOptions
{
    public List<ApiKey> ApiKeys { get; set; } = [];
    /// <summary>Run open (no keys asked) although the silo listens beyond localhost. Without keys and without this, such a
    /// silo does not start.</summary>
    public bool AllowAnonymous { get; set; }
    /// <summary>Set at start-up: no keys are configured, so every request acts as an operator.</summary>
    internal bool Open { get; set; }

    public IEnumerable<string> Problems()
    {
        foreach (var (key, i) in ApiKeys.Select((k, i) => (k, i)))
        {
            if (key.Key.Length < 16) yield return $"Access:ApiKeys:{i}:Key must be at least 16 characters long";
            if (key.Role is not (Access.Viewer or Access.Operator)) yield return $"Access:ApiKeys:{i}:Role must be '{Access.Viewer}' or '{Access.Operator}', got '{key.Role}'";
        }
        if (ApiKeys.Select(k => k.Key).Distinct().Count() < ApiKeys.Count) yield return "Access:ApiKeys: two entries have the same key";
    }
}

/// <summary>
/// HTTP access: every endpoint but liveness and readiness needs an API key from settings, sent as <c>X-Api-Key</c>,
/// as <c>Authorization: Bearer KEY</c>, or as the password of HTTP Basic authentication (what a browser asks for;
/// any user name). A missing or unknown key gets 401; a viewer's key on an operator's endpoint gets 403. With no keys
/// configured and the web server on localhost only, the silo runs open — every request acts as an operator — and says
/// so in its start-up log.
/// </summary>
public static class Access
{
    public const string Viewer = "viewer", Operator = "operator";
    internal const string Scheme = "ApiKey";

    public static WebApplicationBuilder AddSynergAiAccess(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Access").Get<AccessOptions>() ?? new AccessOptions();
        var problems = options.Problems().ToList();
        // Where Kestrel listens: --urls / ASPNETCORE_URLS, else ASPNETCORE_HTTP(S)_PORTS (every interface, as in the
        // container image), else ASP.NET Core's default http://localhost:5000.
        var ports = builder.Configuration["HTTP_PORTS"] ?? builder.Configuration["HTTPS_PORTS"];
        var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey) is { Length: > 0 } set ? set
            : !string.IsNullOrWhiteSpace(ports) ? string.Join(';', ports.Split(';').Select(p => $"http://*:{p.Trim()}"))
            : "http://localhost:5000";
        if (options.ApiKeys.Count == 0)
        {
            if (!options.AllowAnonymous && !OnlyLocalhost(urls))
                problems.Add($"Access:ApiKeys: none configured, and the web server listens beyond localhost ({urls}); " +
                             "configure API keys, or set Access:AllowAnonymous=true to run open");
            options.Open = true;
        }
        if (problems.Count > 0) throw new SettingsException(problems);

        builder.Services.AddSingleton(options);
        builder.Services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(Scheme, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Viewer, p => p.RequireRole(Viewer, Operator))
            .AddPolicy(Operator, p => p.RequireRole(Operator))
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireRole(Viewer, Operator).Build());
        return builder;
    }

    /// <summary>Says at start-up how HTTP access is guarded.</summary>
    public static void LogAccess(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<AccessOptions>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SynergAI.Access");
        if (options.Open)
            log.LogWarning("HTTP access is OPEN: no Access:ApiKeys configured, so anyone who reaches the web port acts as an operator");
        else
            log.LogInformation("HTTP access: {Keys} API key(s) ({Operators} operator)", options.ApiKeys.Count, options.ApiKeys.Count(k => k.Role == Operator));
    }

    static bool OnlyLocalhost(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(url =>
    {
        var host = BindingAddressHost(url);
        return host == "localhost" || IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    });

    static string BindingAddressHost(string url)
    {
        var rest = url[(url.IndexOf("://", StringComparison.Ordinal) is var i and >= 0 ? i + 3 : 0)..];
        var end = rest.StartsWith('[') ? rest.IndexOf(']') + 1 : rest.IndexOfAny([':', '/']);
        return (end > 0 ? rest[..end] : rest).ToLowerInvariant();
    }

    sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccessOptions access)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (access.Open) return Task.FromResult(Success("anonymous (open silo)", Operator));
            var presented = Presented();
            if (presented is null) return Task.FromResult(AuthenticateResult.NoResult());
            var bytes = Encoding.UTF8.GetBytes(presented);
            var key = access.ApiKeys.FirstOrDefault(k => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(k.Key), bytes));
            return Task.FromResult(key is null ? AuthenticateResult.Fail("unknown API key") : Success(key.Name, key.Role));
        }

        string? Presented()
        {
            if (Request.Headers["X-Api-Key"].FirstOrDefault() is { Length: > 0 } header) return header;
            var authorization = Request.Headers.Authorization.FirstOrDefault();
            if (authorization?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true) return authorization[7..].Trim();
            if (authorization?.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) == true)
            {
                try
                {
                    var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
                    return pair[(pair.IndexOf(':') + 1)..];
                }
                catch (FormatException) { return null; }
            }
            return null;
        }

        AuthenticateResult Success(string name, string role) => AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], Access.Scheme)), Access.Scheme));

        // A browser asks for the key (as a password) when it meets this challenge.
        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            Response.Headers.WWWAuthenticate = "Basic realm=\"synergai\", charset=\"UTF-8\"";
            return Response.WriteAsync("401 Unauthorized: send an API key (X-Api-Key, Authorization: Bearer, or as the Basic password)\n");
        }
    }
}
