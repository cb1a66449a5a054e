using System.Diagnostics;

namespace SynergAI.Silo.Tests;

/// <summary>Debian's chromium in its own headless mode (installed by tests/install-chromium.sh): the DOM of a page after
/// it loaded, and screenshots. Credentials go in the URL (http://user:key@host/), which Chromium answers a Basic
/// challenge with.</summary>
public static class Chromium
{
    public static async Task<string> DumpDomAsync(Uri url) => await RunAsync("--dump-dom", url.ToString());

    public static async Task ScreenshotAsync(Uri url, string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        if (File.Exists(file)) File.Delete(file);
        await RunAsync($"--screenshot={file}", "--window-size=1280,720", "--hide-scrollbars", url.ToString());
        Assert.True(File.Exists(file) && new FileInfo(file).Length > 1000, $"chromium wrote no screenshot to {file}");
    }

    static async Task<string> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("chromium") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // No sandbox: the tests run as root in CI. A throwaway profile each time, so no state carries over.
        var profile = Directory.CreateTempSubdirectory("synergai-chromium-");
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={profile.FullName}" }.Concat(args))
            info.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(info) ?? throw new InvalidOperationException("chromium did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0) throw new InvalidOperationException($"chromium exited with {process.ExitCode}: {await stderr}");
            return await stdout;
        }
        finally
        {
            try { profile.Delete(recursive: true); } catch (IOException) { }
        }
    }
}
