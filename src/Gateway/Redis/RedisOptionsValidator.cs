using Microsoft.Extensions.Options;

namespace Gateway.Redis;

[OptionsValidator]
internal sealed partial class RedisOptionsValidator : IValidateOptions<RedisOptions>;
