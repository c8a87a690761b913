// Callers of one Reducto job, for bench/longpoll.sh. `run` starts the callers against one or more base URLs (caller i
// uses URL i mod n), each either long-polling with Prefer: wait=N or polling plainly every interval until it gets a
// terminal body, then reads the stand-in's stats for the job and writes one JSON result. `report` turns results into
// a markdown table.
//
//   LongPoll run --name A --targets http://127.0.0.1:5001,http://127.0.0.1:5002 --standin http://127.0.0.1:5080 \
//       --job after-20s-x --callers 300 [--wait 30 | --every 1] [--key K] [--spread 1] [--deadline 90] --out a.json
//   LongPoll report a.json b.json ...
using LongPoll;

return args.FirstOrDefault() switch
{
    "run" => await Scenario.RunAsync(RunSettings.Parse(args[1..])),
    "report" => Report.Write(args[1..], Console.Out),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: LongPoll run --name N --targets URL[,URL...] --standin URL --job ID --callers N [--wait S | --every S] --out FILE");
    Console.Error.WriteLine("       LongPoll report FILE...");
    return 2;
}
