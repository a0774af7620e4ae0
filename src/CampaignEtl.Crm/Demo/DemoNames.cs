namespace CampaignEtl.Crm.Demo;

/// <summary>Name pools for the demo CRM; many are non-ASCII on purpose, as real CRMs are.</summary>
internal static class DemoNames
{
    internal static readonly string[] FirstNames =
    [
        "Anna", "Zoë", "Łukasz", "Małgorzata", "Jürgen", "Søren", "Chloé", "José", "Ana", "Björn",
        "Emma", "Liam", "Olivia", "Noah", "Mia", "Lukas", "Sofía", "Mateo", "Ingrid", "Dragan",
        "Aoife", "Siobhán", "François", "Hélène", "Nikolaj", "Ömer", "Ayşe", "Jan", "Eva", "Tomáš",
        "Petra", "Kateřina",
    ];

    internal static readonly string[] LastNames =
    [
        "Müller", "Schmidt", "Wiśniewski", "Øvergaard", "Kovač", "Dubois", "García", "Rossi", "Smith", "Jones",
        "Nowak", "Novák", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch",
        "O'Brien", "Murphy", "Lefèvre", "Martínez", "Andersson", "Johansson", "Yılmaz", "Demir", "Horváth", "Nagy",
        "Brown", "Taylor",
    ];

    internal static readonly string[] Companies =
    [
        "Initech Solutions, Ltd", "\"Best\" Bakery B.V.", "Globex GmbH", "Umbrella AG", "Stark Industries",
        "Wayne Enterprises", "Soylent Corp", "Hooli", "Vandelay Import-Export", "Müller & Söhne KG",
        "Łódź Logistics Sp. z o.o.", "Øresund Shipping A/S",
    ];

    internal static readonly string[] Domains =
    [
        "example.com", "example.org", "example.net", "mail.example.de", "post.example.at", "example.co.uk",
    ];

    internal static readonly (string Country, string Language, string City)[] Places =
    [
        ("DE", "de", "Berlin"), ("DE", "de", "München"), ("AT", "de", "Wien"), ("CH", "de", "Zürich"),
        ("GB", "en", "London"), ("IE", "en", "Dublin"), ("US", "en", "Boston"), ("FR", "fr", "Lyon"),
        ("PL", "pl", "Kraków"), ("DK", "da", "København"), ("ES", "es", "Sevilla"), ("TR", "tr", "İzmir"),
    ];

    internal static readonly string[] Titles = ["CEO", "CFO", "Head of Marketing", "Buyer", "Engineer", "Office Manager", null!];

    internal static readonly string[] InvalidEmails =
    [
        "max.mustermann@", "no-at-sign.example.com", "two@@example.com", "space in@example.com", "@example.com",
        "trailing.dot@example.", "missing-domain@localhost",
    ];
}
