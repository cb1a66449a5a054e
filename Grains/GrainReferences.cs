using System.Collections.Concurrent;

namespace SynergAI.Grains;

/// <summary>References to the silo's long-lived grains (pools' dispatchers and shards, workers), each made once. Orleans
/// resolves the interface's grain type by reflection and builds a new proxy on every <c>GetGrain</c>, which a CPU
/// profile of the submission path showed at a few percent; these keys are few (pools, shards, workers), so keeping the
/// references costs little. Job grains, whose ids never repeat, are not kept.</summary>
public sealed class GrainReferences(IGrainFactory grains)
{
    readonly ConcurrentDictionary<(Type Interface, string Key), IAddressable> _made = new();

    public T Of<T>(string key) where T : IGrainWithStringKey =>
        (T)_made.GetOrAdd((typeof(T), key), static (k, factory) => factory.GetGrain<T>(k.Key), grains);
}
