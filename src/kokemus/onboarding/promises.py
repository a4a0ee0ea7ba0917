"""Example service promises shown in the wizard (product content in fi/sv/en).

Drawn from seeds/000: a strong promise is clear, concrete, customer-centred and dares to be
ambitious ("we want to positively surprise our customers"); a weak one is vague or modest
("mediocre goals produce mediocre action").
"""

from __future__ import annotations

from kokemus.journeys.i18n import pick

STRONG = [
    {"fi": "Haluamme yllättää jokaisen asiakkaamme positiivisesti.",
     "sv": "Vi vill överraska varje kund positivt.",
     "en": "We want to positively surprise every customer."},
    {"fi": "Jokainen asiakas tervehditään kymmenen sekunnin sisällä, hymyillen ja nimellä, "
           "ja hän saa tarvitsemansa ajan.",
     "sv": "Varje kund hälsas inom tio sekunder, med ett leende och vid namn, och får den tid "
           "hen behöver.",
     "en": "Every customer is greeted within ten seconds, with a smile and by name, and gets "
           "the time they need."},
    {"fi": "Tärkein tehtäväsi on ilahduttaa asiakasta.",
     "sv": "Din viktigaste uppgift är att glädja kunden.",
     "en": "Your most important task is to delight the customer."},
]
WEAK = [
    {"fi": "Pyrimme hyvään palveluun.",
     "sv": "Vi strävar efter god service.",
     "en": "We strive for good service."},
    {"fi": "Asiakastyytyväisyys on meille tärkeää.",
     "sv": "Kundnöjdhet är viktigt för oss.",
     "en": "Customer satisfaction is important to us."},
    {"fi": "Yritämme pitää asiakkaat kohtuullisen tyytyväisinä.",
     "sv": "Vi försöker hålla kunderna någorlunda nöjda.",
     "en": "We try to keep our customers reasonably satisfied."},
]
WHY_WEAK = {
    "fi": "Liian ympäripyöreä tai vaatimaton: keskinkertaiset tavoitteet tuottavat "
          "keskinkertaista toimintaa.",
    "sv": "För vagt eller för anspråkslöst: mediokra mål ger medioker verksamhet.",
    "en": "Too vague or too modest: mediocre goals produce mediocre action.",
}
WHY_STRONG = {
    "fi": "Selkeä, konkreettinen ja kunnianhimoinen: jokainen tietää, mitä asiakkaalle "
          "halutaan tapahtuvan.",
    "sv": "Tydligt, konkret och ambitiöst: alla vet vad kunden ska uppleva.",
    "en": "Clear, concrete and ambitious: everyone knows what the customer should experience.",
}


def examples(language: str | None) -> dict:
    return {"strong": [pick(e, language) for e in STRONG],
            "weak": [pick(e, language) for e in WEAK],
            "why_strong": pick(WHY_STRONG, language), "why_weak": pick(WHY_WEAK, language)}
