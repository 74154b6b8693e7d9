namespace SemanticSearch;

/// <summary>The sentences the sample searches: a few on each of several topics, worded so that queries rarely share their words.</summary>
internal static class Corpus
{
    public static readonly string[] Sentences =
    [
        // Cooking
        "Knead the dough for ten minutes, then let it rise in a warm place until doubled.",
        "A pinch of salt makes chocolate desserts taste richer.",
        "Simmer the tomato sauce slowly so the flavours can develop.",
        "Sourdough starter needs to be fed with flour and water every day.",
        // Pets and animals
        "Cats sleep for up to sixteen hours a day.",
        "Small dog breeds adapt well to life in a city flat.",
        "Goldfish need a filtered tank, not a tiny bowl.",
        "Hummingbirds beat their wings around fifty times per second.",
        // Computers and phones
        "Lowering the screen brightness makes a laptop's charge last longer.",
        "Restart the router if the wireless connection keeps dropping.",
        "Use a password manager so every account gets a different password.",
        "The new phone has a faster processor and a better camera.",
        "Back up your files before installing an operating system update.",
        // Weather
        "Heavy rain and strong winds are forecast for the weekend.",
        "The heatwave will break on Thursday with scattered thunderstorms.",
        "Fog is expected on the coast early tomorrow morning.",
        // Health
        "Regular walking lowers the risk of heart disease.",
        "Drink plenty of water when you exercise in hot weather.",
        "Most adults need seven to nine hours of sleep each night.",
        "Stretching after a run helps prevent sore muscles.",
        // Money
        "Interest rates were raised by a quarter of a percentage point.",
        "Set aside part of every paycheck for an emergency fund.",
        "Index funds spread your savings across many companies at low cost.",
        "The currency weakened after the trade figures were published.",
        // Travel
        "The night train from Vienna arrives in Venice just after breakfast.",
        "Check whether you need a visa before booking your flight.",
        "Pack light: a carry-on bag avoids waiting at the luggage carousel.",
        "The old town is best explored on foot.",
        // Sport
        "The striker scored twice in the second half to win the match.",
        "She finished the marathon in under three hours.",
        "The tennis final went to a fifth set tie-break.",
        // Space and science
        "The telescope photographed a galaxy thirteen billion light years away.",
        "Mars has the largest volcano in the solar system.",
        "Water boils at a lower temperature high in the mountains.",
        "Plants turn sunlight, water and carbon dioxide into sugar.",
        // Music and culture
        "The orchestra rehearsed the symphony for the concert on Friday.",
        "He learned to play the guitar by watching online lessons.",
        "The museum's new exhibition shows paintings by Dutch masters.",
        "The novel was translated into more than forty languages.",
        // Home
        "Bleeding the radiators helps the heating work properly.",
        "A dripping tap usually just needs a new washer.",
        "Houseplants like ferns thrive in a humid bathroom.",
    ];

    public static readonly string[] DefaultQueries =
    [
        "How do I make bread at home?",
        "my notebook battery runs out too quickly",
        "Which pet is good for a small apartment?",
        "Will it be stormy this week?",
        "cheap way to invest for retirement",
        "astronomy",
    ];
}
