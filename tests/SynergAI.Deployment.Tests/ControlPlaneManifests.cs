using k8s;
using k8s.Models;

namespace SynergAI.Deployment.Tests;

/// <summary>One object of <c>k8s/</c> and the file it came from.</summary>
internal sealed record Manifest(string File, IKubernetesObject<V1ObjectMeta> Object);

/// <summary>Every object in <c>k8s/</c>, loaded with the Kubernetes client's own YAML loader in strict mode: an unknown
/// apiVersion/kind or a misspelt field (say <c>maxUnavailabe</c>) fails the load instead of being silently dropped, as
/// the API server would drop or reject it.</summary>
internal sealed class ControlPlaneManifests
{
    public const string Folder = "k8s";
    public const string KustomizationFile = "kustomization.yaml";

    // The names the manifests agree on; the executor's settings must name the same jobs namespace.
    public const string ControlPlaneNamespace = "synergai";
    public const string JobsNamespace = "synergai-jobs";
    public const string SiloDeployment = "synergai-silo";
    public const string TestbedConfigMap = "synergai-testbed";
    public const string ExecutorConfigMap = "synergai-executor";

    public IReadOnlyList<Manifest> All { get; }

    ControlPlaneManifests(IReadOnlyList<Manifest> all) => All = all;

    /// <summary>Loads the committed files afresh (each test gets its own objects, so a test may change them).</summary>
    public static ControlPlaneManifests Load() => new([.. ManifestFiles().SelectMany(LoadFile)]);

    /// <summary>The YAML files of <c>k8s/</c> holding Kubernetes objects (every one but the kustomization), as repository paths.</summary>
    public static IReadOnlyList<string> ManifestFiles() =>
        [.. Directory.EnumerateFiles(Repository.PathOf(Folder))
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .Where(f => f != KustomizationFile)
            .Order(StringComparer.Ordinal)
            .Select(f => $"{Folder}/{f}")];

    static IEnumerable<Manifest> LoadFile(string file)
    {
        List<object> objects;
        try
        {
            objects = KubernetesYaml.LoadAllFromString(Repository.ReadText(file), typeMap: null, strict: true);
        }
        catch (KeyNotFoundException e)
        {
            throw new InvalidOperationException($"{file}: an object of unknown apiVersion/kind ({e.Message})", e);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{file}: not loadable as Kubernetes objects: {e.Message}", e);
        }
        foreach (var o in objects)
            yield return new Manifest(file, o as IKubernetesObject<V1ObjectMeta>
                ?? throw new InvalidOperationException($"{file}: {o?.GetType().Name ?? "an empty document"} is not a Kubernetes object with metadata"));
    }

    public IEnumerable<T> OfType<T>() where T : IKubernetesObject<V1ObjectMeta> => All.Select(m => m.Object).OfType<T>();

    public T? Find<T>(string name, string? ns) where T : IKubernetesObject<V1ObjectMeta> =>
        OfType<T>().SingleOrDefault(o => o.Metadata.Name == name && (ns is null || o.Metadata.NamespaceProperty == ns));

    public T Get<T>(string name, string? ns) where T : IKubernetesObject<V1ObjectMeta> =>
        Find<T>(name, ns) ?? throw new InvalidOperationException($"no {typeof(T).Name} '{name}' in namespace '{ns}' under {Folder}/");

    public V1Deployment Silo => Get<V1Deployment>(SiloDeployment, ControlPlaneNamespace);

    public V1Container SiloContainer => Silo.Spec.Template.Spec.Containers.Single();
}
