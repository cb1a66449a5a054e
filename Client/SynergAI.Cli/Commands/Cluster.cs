using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using SynergAI.Client;
using SynergAI.Grains;

namespace SynergAI.Cli.Commands;

/// <summary>A host lifetime that leaves signals to the command line, which turns them into cancellation.</summary>
internal sealed class CommandLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The options every command that talks to the cluster takes, and a connected client per invocation.</summary>
internal sealed class Cluster
{
    public Option<string[]> Gateway { get; } = new("--gateway")
    {
        Description = "Gateway of a silo as host:port (repeatable or comma-separated)",
        DefaultValueFactory = _ => [SynergAiClientOptions.DefaultGateway],
    };

    public Option<string?> Connection { get; } = new("--connection")
    {
        Description = "PostgreSQL connection string of a cluster on PostgreSQL: the gateways come from its membership table",
    };

    public Option<string> Pool { get; } = new("--pool")
    {
        Description = "The pool of workers to use",
        DefaultValueFactory = _ => SynergAiClientOptions.DefaultPool,
    };

    public Option<string?> TlsCertificate { get; } = new("--tls-certificate")
    {
        Description = "The cluster's TLS certificate (a PKCS#12 file with its private key) when its silos require TLS " +
                      $"(default: ${TlsCertificateVariable})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(TlsCertificateVariable),
    };

    public Option<string?> TlsAuthority { get; } = new("--tls-authority")
    {
        Description = $"The certificate of the authority that issued the cluster's certificates (default: ${TlsAuthorityVariable}; " +
                      "unset: the cluster certificate itself)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(TlsAuthorityVariable),
    };

    /// <summary>Where the TLS settings come from when not given as options; the password only from here, so that it
    /// stays out of the shell's history and the process list.</summary>
    public const string TlsCertificateVariable = "SYNERGAI_TLS_CERTIFICATE", TlsPasswordVariable = "SYNERGAI_TLS_PASSWORD",
        TlsAuthorityVariable = "SYNERGAI_TLS_AUTHORITY";

    /// <summary>How long a command tries to connect before it reports the cluster unreachable.</summary>
    public static TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Adds <c>--gateway</c>, <c>--connection</c>, <c>--pool</c> and the TLS options to <paramref name="command"/>.</summary>
    public Cluster AddTo(Command command)
    {
        command.Options.Add(Gateway);
        command.Options.Add(Connection);
        command.Options.Add(Pool);
        command.Options.Add(TlsCertificate);
        command.Options.Add(TlsAuthority);
        return this;
    }

    public string PoolOf(ParseResult parsed)
    {
        var pool = parsed.GetValue(Pool)!;
        if (string.IsNullOrWhiteSpace(pool)) throw new ArgumentException("--pool must not be empty");
        return pool;
    }

    IGrainFactory? _grains;

    /// <summary>Refuses a pool the cluster does not have (no worker ever joined it), so that a read such as
    /// <c>workers --pool nosuchpool</c> answers "unknown pool" instead of activating an empty pool.</summary>
    public async Task RequireKnownPoolAsync(string pool, CancellationToken cancellationToken)
    {
        var grains = _grains ?? throw new InvalidOperationException("not connected");
        var known = await grains.GetGrain<IPoolDirectoryGrain>(IPoolDirectoryGrain.Key).List().WaitAsync(cancellationToken);
        if (!known.Contains(pool, StringComparer.Ordinal))
            throw new ArgumentException($"unknown pool '{pool}' (known: {(known.Count == 0 ? "none" : string.Join(", ", known.Order(StringComparer.Ordinal)))}); " +
                                        "a pool is created by registering workers in it: 'synergai profile import DIR --pool NAME'");
    }

    /// <summary>Connects to the cluster, runs <paramref name="use"/> with a client, and disconnects. Orleans logs
    /// warnings and errors only, to stderr.</summary>
    public async Task<int> RunAsync(ParseResult parsed, CliIo io, CancellationToken cancellationToken,
        Func<SynergAiClient, CancellationToken, Task<int>> use)
    {
        var gateways = parsed.GetValue(Gateway)!;
        var connection = parsed.GetValue(Connection);
        if (connection is not null && parsed.GetResult(Gateway) is { Implicit: false })
            throw new ArgumentException("give either --gateway or --connection, not both");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The client's own connection retries and start-up failure are noise here: a failure to connect is reported once, below.
        builder.Logging.AddFilter("Orleans.Runtime.Messaging", LogLevel.None);
        builder.Logging.AddFilter("Orleans.Messaging", LogLevel.Error);
        builder.Logging.AddFilter("Orleans.OutsideRuntimeClient", LogLevel.None);
        builder.Logging.AddFilter("Orleans.Runtime.ClientClusterManifestProvider", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSynergAiClient(o =>
        {
            o.Gateways = gateways;
            o.PostgresConnectionString = connection;
            o.ConnectTimeout = ConnectTimeout; // then the start fails with ClusterUnreachableException
            o.TlsCertificatePath = parsed.GetValue(TlsCertificate);
            o.TlsCertificatePassword = Environment.GetEnvironmentVariable(TlsPasswordVariable);
            o.TlsAuthorityPath = parsed.GetValue(TlsAuthority);
        });
        // Not the console lifetime: it would swallow Ctrl+C/SIGTERM, which must cancel the command instead.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();

        using var host = builder.Build();
        // The first Ctrl+C (or SIGTERM) cancels the command, which then cleans up (cancels what it started, restores
        // settings) and disconnects; a second one ends the process at once.
        using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnSignal(PosixSignalContext context)
        {
            if (interrupted.IsCancellationRequested) return;
            context.Cancel = true;
            io.Error.WriteLine("interrupted: cleaning up (Ctrl+C again to quit at once)");
            interrupted.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        cancellationToken = interrupted.Token;

        try
        {
            try
            {
                await host.StartAsync(cancellationToken);
            }
            catch (OptionsValidationException e)
            {
                throw new ArgumentException(e.Failures.FirstOrDefault() ?? e.Message, e);
            }
            _grains = host.Services.GetRequiredService<IClusterClient>();
            try
            {
                return await use(host.Services.GetRequiredService<SynergAiClient>(), cancellationToken);
            }
            finally
            {
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try { await host.StopAsync(stopping.Token); }
                catch (Exception) { /* leaving anyway */ }
            }
        }
        catch (OperationCanceledException e) when (interrupted.IsCancellationRequested)
        {
            throw new OperationCanceledException("interrupted", e);
        }
        catch (SynergAiException e)
        {
            io.Error.WriteLine($"error: {e.Message}");
            return ExitCodeOf(e);
        }
    }

    /// <summary>The exit code of a refusal or an outage; every other error exits with 1.</summary>
    public static int ExitCodeOf(SynergAiException e) => e switch
    {
        UnknownJobException or UnknownEngineException => 2,   // not found
        JobConflictException => 3,                              // the id is taken
        PoolNotReadyException or AdmissionRefusedException => 4, // refused: try later, or change the job
        ClusterUnreachableException => 5,                       // no answer
        _ => 1,
    };
}
