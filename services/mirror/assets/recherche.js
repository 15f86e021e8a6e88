/* La recherche de l'annuaire : filtres et texte libre sur les données de
   annuaire.js, sans serveur ni bibliothèque.  Les libellés des codes et le
   repli du texte viennent de contrat.js, généré depuis proto/ : le texte
   est replié comme le fait le service de publication (minuscules, sans
   accents, ponctuation réduite à une espace) : « ecole » trouve « École ». */
(function () {
  'use strict';
  var PAGE = 50;
  var donnees = window.ANNUAIRE || { fiches: [] };
  var libelles = window.ESSP.libelles;
  var replier = window.replier;
  var fiches = donnees.fiches;  /* [id, nom, commune, code postal, forme, départements, thèmes, formats, périmètre, texte replié] */
  var form = document.getElementById('recherche');
  var champs = {
    q: document.getElementById('q'),
    departement: document.getElementById('departement'),
    theme: document.getElementById('theme'),
    format: document.getElementById('format'),
    perimetre: document.getElementById('perimetre'),
    forme: document.getElementById('forme')
  };
  var compte = document.getElementById('compte');
  var liste = document.getElementById('resultats');
  var plus = document.getElementById('plus');
  var trouvees = [];
  var montrees = 0;
  var derniere = null;

  function contient(liste, valeur) {
    return !valeur || liste.indexOf(valeur) >= 0;
  }

  function correspond(fiche, critere) {
    if (!contient(fiche[5], critere.departement) || !contient(fiche[6], critere.theme)
        || !contient(fiche[7], critere.format) || !contient(fiche[8], critere.perimetre)
        || (critere.forme && fiche[4] !== critere.forme)) {
      return false;
    }
    for (var i = 0; i < critere.mots.length; i++) {
      if (fiche[9].indexOf(critere.mots[i]) < 0) {
        return false;
      }
    }
    return true;
  }

  function element(nom, texte, classe) {
    var e = document.createElement(nom);
    if (texte) { e.textContent = texte; }
    if (classe) { e.className = classe; }
    return e;
  }

  function afficher(jusqua) {
    for (; montrees < Math.min(jusqua, trouvees.length); montrees++) {
      var f = trouvees[montrees];
      var li = document.createElement('li');
      var titre = element('h3');
      var lien = element('a', f[1]);
      lien.href = 'accompagnateurs/' + encodeURIComponent(f[0]) + '.html';
      titre.appendChild(lien);
      li.appendChild(titre);
      var lieu = [libelles.forme[f[4]] || f[4], f[2] + (f[3] ? ' (' + f[3] + ')' : '')];
      li.appendChild(element('p', lieu.join(' · ')));
      li.appendChild(element('p', f[7].map(function (c) { return libelles.format[c] || c; }).join(' et ')));
      liste.appendChild(li);
    }
    plus.hidden = montrees >= trouvees.length;
  }

  function chercher() {
    var mots = replier(champs.q.value);
    var critere = {
      mots: mots ? mots.split(' ') : [],
      departement: champs.departement.value,
      theme: champs.theme.value,
      format: champs.format.value,
      perimetre: champs.perimetre.value,
      forme: champs.forme.value
    };
    /* Nothing changed (a text field that loses the focus fires "change"):
       the list stays as it is, and so does the focus inside it. */
    var cle = JSON.stringify(critere);
    if (cle === derniere) {
      return;
    }
    derniere = cle;
    trouvees = fiches.filter(function (f) { return correspond(f, critere); });
    liste.textContent = '';
    montrees = 0;
    var n = trouvees.length;
    compte.textContent = n === 0 ? 'Aucune structure ne correspond à cette recherche.'
      : n === 1 ? '1 structure correspond à cette recherche.'
      : n.toLocaleString('fr-FR') + ' structures correspondent à cette recherche.';
    afficher(PAGE);
  }

  form.addEventListener('input', chercher);
  form.addEventListener('change', chercher);
  form.addEventListener('submit', function (e) { e.preventDefault(); chercher(); });
  form.addEventListener('reset', function () { setTimeout(chercher, 0); });
  plus.addEventListener('click', function () {
    var premier = montrees;
    afficher(montrees + PAGE);
    var lien = liste.children[premier] && liste.children[premier].querySelector('a');
    if (lien) { lien.focus(); }
  });
  chercher();
}());
