/* La recherche de l'annuaire : filtres et texte libre sur les données de
   annuaire.js, sans serveur ni bibliothèque.  Les règles sont celles du
   service de publication (proto/search.h) : pour chaque fiche, essp-mirror
   écrit les mots par lesquels on la trouve (nom, commune, code postal,
   présentation, libellés et codes des thèmes, sigles et leurs
   développements : « gpec » trouve « gestion prévisionnelle des
   compétences »).  Ce script replie seulement ce que tape le visiteur
   (replier, de contrat.js, généré depuis proto/text.c) et vérifie que
   chaque mot tapé commence un mot de la fiche.  Les libellés et les textes
   viennent de contrat.js (proto/labels.c, services/mirror/texts.h).
   La recherche vit dans l'adresse (index.html?q=gpec&departement=44) :
   une adresse partagée ou gardée en favori rouvre la même recherche. */
(function () {
  'use strict';
  var PAGE = 50;
  var donnees = window.ANNUAIRE || { fiches: [] };
  var libelles = window.ESSP.libelles;
  var textes = window.ESSP.textes;
  var replier = window.replier;
  var fiches = donnees.fiches;  /* [id, nom, commune, code postal, forme, départements, thèmes, formats, périmètre, " mots", début de la présentation] */
  var form = document.getElementById('recherche');
  var NOMS = ['q', 'departement', 'theme', 'format', 'perimetre', 'forme'];
  var champs = {};
  NOMS.forEach(function (nom) { champs[nom] = document.getElementById(nom); });
  var compte = document.getElementById('compte');
  var liste = document.getElementById('resultats');
  var plus = document.getElementById('plus');
  var trouvees = [];
  var montrees = 0;
  var derniere = null;

  function contient(valeurs, valeur) {
    return !valeur || valeurs.indexOf(valeur) >= 0;
  }

  function correspond(fiche, critere) {
    if (!contient(fiche[5], critere.departement) || !contient(fiche[6], critere.theme)
        || !contient(fiche[7], critere.format) || !contient(fiche[8], critere.perimetre)
        || (critere.forme && fiche[4] !== critere.forme)) {
      return false;
    }
    for (var i = 0; i < critere.mots.length; i++) {
      if (fiche[9].indexOf(' ' + critere.mots[i]) < 0) {
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

  function departement(code) {
    return libelles.departement[code] ? libelles.departement[code] + ' (' + code + ')' : code;
  }

  function libelle(jeu) {
    return function (code) { return libelles[jeu][code] || code; };
  }

  /* « Thèmes : » en gras, puis la liste. */
  function ligne(titre, valeurs, classe) {
    var p = element('p', null, classe);
    p.appendChild(element('span', titre, 'etiquette'));
    p.appendChild(document.createTextNode(valeurs.join(', ')));
    return p;
  }

  function carte(f) {
    var li = document.createElement('li');
    var titre = element('h3');
    var lien = element('a', f[1]);
    lien.href = 'accompagnateurs/' + encodeURIComponent(f[0]) + '.html';
    titre.appendChild(lien);
    li.appendChild(titre);
    var lieu = [libelles.forme[f[4]] || f[4], f[2] + (f[3] ? ' (' + f[3] + ')' : '')];
    li.appendChild(element('p', lieu.join(' · '), 'lieu'));
    if (f[10]) {
      li.appendChild(element('p', f[10], 'presentation'));
    }
    var themes = element('div', null, 'themes');
    themes.appendChild(element('span', textes.themes, 'etiquette'));
    var ul = element('ul', null, 'en-ligne');
    f[6].forEach(function (code) { ul.appendChild(element('li', libelles.theme[code] || code)); });
    themes.appendChild(ul);
    li.appendChild(themes);
    li.appendChild(ligne(textes.formats, f[7].map(libelle('format')), 'formats'));
    li.appendChild(ligne(textes.departements, f[5].map(departement), 'departements'));
    if (f[11]) {
      li.appendChild(element('p', textes.depuis.replace('{a}', f[11]), 'depuis'));
    }
    return li;
  }

  function afficher(jusqua) {
    for (; montrees < Math.min(jusqua, trouvees.length); montrees++) {
      liste.appendChild(carte(trouvees[montrees]));
    }
    plus.hidden = montrees >= trouvees.length;
  }

  /* L'adresse de la page dit la recherche : seuls les champs remplis. */
  function retenir() {
    var parties = [];
    NOMS.forEach(function (nom) {
      if (champs[nom].value) {
        parties.push(nom + '=' + encodeURIComponent(champs[nom].value).replace(/%20/g, '+'));
      }
    });
    var adresse = location.pathname + (parties.length ? '?' + parties.join('&') : '') + location.hash;
    try {
      history.replaceState(null, '', adresse);
    } catch (e) {
      /* Un navigateur qui refuse (certains fichiers ouverts du disque) :
         la recherche marche quand même. */
    }
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
    var cle = JSON.stringify(critere) + '|' + champs.q.value;
    if (cle === derniere) {
      return;
    }
    derniere = cle;
    retenir();
    trouvees = fiches.filter(function (f) { return correspond(f, critere); });
    liste.textContent = '';
    montrees = 0;
    var n = trouvees.length;
    compte.textContent = n === 0 ? textes.aucune : n === 1 ? textes.une
      : textes.plusieurs.replace('{n}', n.toLocaleString('fr-FR'));
    afficher(PAGE);
  }

  /* Une adresse gardée ou partagée : ses champs remplis comme elle les dit.
     Un département qui n'a plus de fiche reste choisi, avec son compte nul,
     plutôt que d'élargir la recherche sans le dire. */
  function relire() {
    var params = new URLSearchParams(location.search);
    NOMS.forEach(function (nom) {
      var valeur = params.get(nom);
      if (valeur === null) {
        return;
      }
      var champ = champs[nom];
      if (champ.tagName === 'SELECT' && valeur
          && !Array.prototype.some.call(champ.options, function (o) { return o.value === valeur; })) {
        if (nom !== 'departement' || !libelles.departement[valeur]) {
          return;
        }
        var option = element('option', textes.departement_vide.replace('{d}', departement(valeur)));
        option.value = valeur;
        champ.appendChild(option);
      }
      champ.value = valeur;
    });
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
  relire();
  chercher();
}());
