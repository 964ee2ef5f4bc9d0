"""Rivers (五水共治 / 河长制): rivers, segments and their chiefs, water-quality stations and their readings,
GB 3838-2002 classes, and the alerts that raise cases through the cases spine."""
